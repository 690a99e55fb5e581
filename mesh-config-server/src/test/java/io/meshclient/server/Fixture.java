package io.meshclient.server;

import io.meshclient.Mesh;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.config.PolicySink;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/** Shared test parts: policy files, a recording sink around a real Mesh, watchers. */
final class Fixture {

  private Fixture() {}

  static void write(Path dir, String name, String text) {
    try {
      // Write then rename, as editors and config management do: the watch sees one complete file.
      Path tmp = Files.createTempFile(dir, ".tmp-", ".part");
      Files.writeString(tmp, text);
      Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ConfigServer.Builder server(Path policies) {
    return ConfigServer.builder().policies(policies).port(0).statusPort(0)
        .debounce(Duration.ofMillis(50)).leaseGrace(Duration.ofMillis(500));
  }

  /**
   * Waits for the end of the server's warm-up (one lease grace after start), whose authoritative
   * push gives every client a new version with the same content: tests that compare versions or
   * count responses start after it.
   */
  static ConfigServer warm(ConfigServer server) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> server.status().getRegistryWarmUntil().isEmpty());
    return server;
  }

  /** Applies to a real {@link Mesh} and records what arrived and when. */
  static final class RecordingSink implements PolicySink {
    final Mesh mesh = Mesh.builder().build();
    final Map<String, List<EndpointSpec>> endpoints = new ConcurrentHashMap<>();
    final List<String> endpointHistory = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile MeshPolicy policy = MeshPolicy.EMPTY;
    volatile long appliedAtNanos;
    volatile int applied;
    volatile Predicate<MeshPolicy> refuse = p -> false;

    @Override
    public void apply(MeshPolicy p) {
      if (refuse.test(p)) {
        throw new IllegalArgumentException("this client refuses " + p.version()
            + ": orders.timeout above 5s is not supported by this build");
      }
      mesh.update(p);
      policy = p;
      applied++;
      appliedAtNanos = System.nanoTime();
    }

    @Override
    public void endpoints(String service, List<EndpointSpec> list) {
      mesh.updateEndpoints(service, list);
      endpoints.put(service, list);
      endpointHistory.add(service + "=" + list.stream().map(EndpointSpec::address).sorted().toList());
    }

    Duration timeoutOf(String service) {
      var s = mesh.policy().service(service);
      return s == null ? Duration.ofSeconds(-1) : s.timeout();
    }
  }

  static MeshConfigWatcher.Builder watcher(ConfigServer server, String id, PolicySink sink, String... services) {
    return MeshConfigWatcher.builder().target("127.0.0.1:" + server.port())
        .node(NodeIdentity.of(id, "web").withZone("a"))
        .subscribe(services)
        .sink(sink)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(300));
  }

  static long percentile(long[] sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
