package io.meshclient.grpc;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Unary calls from a few threads, continuously, until stopped; failures are collected. */
final class Traffic implements AutoCloseable {

  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger done = new AtomicInteger();
  private final List<StatusRuntimeException> failures =
      Collections.synchronizedList(new ArrayList<>());
  private final ExecutorService pool;
  private final List<Future<?>> threads = new ArrayList<>();

  Traffic(ManagedChannel channel, int threads) {
    pool = Executors.newFixedThreadPool(threads);
    SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("t").build();
    for (int t = 0; t < threads; t++) {
      this.threads.add(
          pool.submit(
              () -> {
                while (!stop.get()) {
                  try {
                    SimpleServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .unaryRpc(request);
                  } catch (StatusRuntimeException e) {
                    failures.add(e);
                  }
                  done.incrementAndGet();
                }
                return null;
              }));
    }
  }

  /** Waits until {@code n} more calls have ended. */
  void awaitCalls(int n) {
    int start = done.get();
    await().atMost(Duration.ofSeconds(20)).until(() -> done.get() >= start + n);
  }

  /** Stops the threads and returns the failed calls. */
  List<StatusRuntimeException> stop() throws Exception {
    stop.set(true);
    for (Future<?> f : threads) {
      f.get(30, TimeUnit.SECONDS);
    }
    return List.copyOf(failures);
  }

  @Override
  public void close() {
    stop.set(true);
    pool.shutdownNow();
  }
}
