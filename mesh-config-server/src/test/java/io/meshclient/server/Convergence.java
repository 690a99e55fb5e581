package io.meshclient.server;

import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.server.Fixture.RecordingSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * N watchers, each with its own channel (one TCP connection per client, as separate processes
 * would have), subscribed to {@code orders}; one edit of the policy file; the time from the edit
 * (the rename that publishes the new file) to each client's sink applying the new policy.
 */
final class Convergence implements AutoCloseable {

  record Result(int clients, long p50Nanos, long p99Nanos, long maxNanos, Duration connectAll) {
    @Override
    public String toString() {
      return String.format("%d clients converged after one file edit: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          + " (connect + first policy for all: %d ms)", clients, p50Nanos / 1e6, p99Nanos / 1e6, maxNanos / 1e6,
          connectAll.toMillis());
    }
  }

  final List<RecordingSink> sinks = new ArrayList<>();
  final List<MeshConfigWatcher> watchers = new ArrayList<>();
  final List<ManagedChannel> channels = new ArrayList<>();
  private Duration connectAll = Duration.ZERO;

  /** Starts {@code n} clients against {@code target} and waits until each runs a policy. */
  Convergence start(String target, int n) {
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      ManagedChannel ch = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
      channels.add(ch);
      RecordingSink sink = new RecordingSink();
      sinks.add(sink);
      watchers.add(MeshConfigWatcher.builder().channel(ch).node(NodeIdentity.of("client-" + i, "web"))
          .subscribe("orders").sink(sink).backoff(Duration.ofMillis(50), Duration.ofSeconds(1)).build().start());
    }
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
        .until(() -> sinks.stream().allMatch(s -> s.applied >= 1));
    connectAll = Duration.ofNanos(System.nanoTime() - t0);
    return this;
  }

  /** Edits {@code orders.yaml} to {@code timeout} and measures until every client applied it. */
  Result edit(Path policies, int timeoutSeconds) {
    long t0 = System.nanoTime();
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: " + timeoutSeconds + "s\n");
    Duration want = Duration.ofSeconds(timeoutSeconds);
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
        .until(() -> sinks.stream().allMatch(s -> s.timeoutOf("orders").equals(want)));
    long[] lat = sinks.stream().mapToLong(s -> s.appliedAtNanos - t0).sorted().toArray();
    return new Result(lat.length, Fixture.percentile(lat, 50), Fixture.percentile(lat, 99), lat[lat.length - 1],
        connectAll);
  }

  static long[] sorted(long[] a) {
    long[] c = a.clone();
    Arrays.sort(c);
    return c;
  }

  @Override
  public void close() {
    watchers.forEach(MeshConfigWatcher::close);
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
