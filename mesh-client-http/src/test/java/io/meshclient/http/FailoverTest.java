package io.meshclient.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** An instance dies under load from 4 threads: nobody notices, and it comes back when it recovers. */
class FailoverTest {

  @Test
  void instanceStoppedMidTrafficCostsNoFailureIsEjectedAndReturnsAfterRecovery() throws Exception {
    try (Fleet fleet = new Fleet(3)) {
      Mesh mesh = Mesh.builder().random(RandomSource.seeded(3)).build();
      mesh.update(
          MeshPolicy.builder()
              .version("1")
              .service(
                  ServicePolicy.builder("orders")
                      .loadBalancer(LbAlgorithm.ROUND_ROBIN)
                      .retry(
                          RetryPolicy.builder()
                              .maxAttempts(3)
                              // A stopping server may accept a request and never answer it (seen
                              // once on JDK 25): production policies bound each try, and so does this.
                              .perTryTimeout(Duration.ofSeconds(2))
                              .retryOn("connect-failure", "refused-stream", "reset", "timeout", "503")
                              .backoff(BackoffPolicy.of(Duration.ofMillis(1), Duration.ofMillis(5)))
                              .build())
                      .circuitBreaker(CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                      .outlierDetection(
                          OutlierDetectionPolicy.builder()
                              .consecutiveFailures(2)
                              .baseEjectionTime(Duration.ofMillis(500))
                              .maxEjectionTime(Duration.ofSeconds(1))
                              .build())
                      .endpoint(fleet.endpoint(0))
                      .endpoint(fleet.endpoint(1))
                      .endpoint(fleet.endpoint(2))
                      .build())
              .build());
      ServiceHandle orders = mesh.service("orders");
      Endpoint victim = endpointWithPort(orders, fleet.port(2));
      // An instance that stops may cut a response after its headers: buffering small bodies
      // inside the attempt turns that into a retried attempt too (see docs/http.md).
      OkHttpClient client = MeshHttp.builder(mesh).bufferResponseBodies(64 * 1024).client();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        workers.add(
            pool.submit(
                () -> {
                  while (!stop.get()) {
                    try {
                      Fleet.get(client, "http://orders/stock");
                      ok.incrementAndGet();
                    } catch (Throwable e) {
                      failures.add(e);
                    }
                  }
                }));
      }
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> fleet.received(2) >= 50);
        fleet.stop(2);
        int okAtStop = ok.get();

        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> victim.isEjected(mesh.ticker().read()) || victim.ejectionCount() > 0);
        await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() > okAtStop + 200);

        fleet.restart(2);
        // Once its ejection ends it is picked again, answers, and takes its share.
        await().atMost(Duration.ofSeconds(20)).until(() -> fleet.received(2) >= 50);
      } finally {
        stop.set(true);
        for (Future<?> w : workers) {
          w.get(20, TimeUnit.SECONDS);
        }
        pool.shutdown();
        Fleet.shutdown(client);
      }
      assertThat(failures).as("failed requests").isEmpty();
      assertThat(victim.ejectionCount()).isPositive();
      assertThat(orders.stats().retries()).isPositive();
    }
  }

  private static Endpoint endpointWithPort(ServiceHandle handle, int port) {
    for (Endpoint e : handle.endpoints()) {
      if (e.port() == port) {
        return e;
      }
    }
    throw new AssertionError("no endpoint with port " + port + " in " + handle.endpoints());
  }
}
