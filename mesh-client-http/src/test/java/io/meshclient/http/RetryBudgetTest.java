package io.meshclient.http;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.serviceUnavailable;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryBudgetPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** A failing dependency sees at most (1 + ratio) times the requests, plus the floor. */
class RetryBudgetTest {

  @Test
  void alwaysFailingBackendSeesAtMostOnePointTwoTimesTheRequestsPlusTheFloor() throws Exception {
    try (Fleet fleet = new Fleet(2)) {
      fleet.get(0).stubFor(any(anyUrl()).willReturn(serviceUnavailable()));
      fleet.get(1).stubFor(any(anyUrl()).willReturn(serviceUnavailable()));
      double ratio = 0.2;
      int minPerSecond = 2;
      int windowSeconds = 10;
      // A frozen clock: every request falls in one budget window, so the bound is exact.
      AtomicLong now = new AtomicLong(1_000_000_000L);
      Mesh mesh = Mesh.builder().ticker(now::get).random(RandomSource.seeded(11)).build();
      mesh.update(
          MeshPolicy.builder()
              .version("1")
              .service(
                  ServicePolicy.builder("orders")
                      .retry(
                          RetryPolicy.builder()
                              .maxAttempts(3)
                              .backoff(BackoffPolicy.of(Duration.ofNanos(1), Duration.ofNanos(1)))
                              .budget(
                                  new RetryBudgetPolicy(
                                      ratio, minPerSecond, Duration.ofSeconds(windowSeconds)))
                              .build())
                      .circuitBreaker(CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                      .outlierDetection(OutlierDetectionPolicy.builder().consecutiveFailures(0).build())
                      .endpoint(fleet.endpoint(0))
                      .endpoint(fleet.endpoint(1))
                      .build())
              .build());
      OkHttpClient client = MeshHttp.client(mesh);
      int requests = 200;
      try {
        for (int i = 0; i < requests; i++) {
          try (Response r =
              client.newCall(new Request.Builder().url("http://orders/x").build()).execute()) {
            assertThat(r.code()).isEqualTo(503); // the last attempt's answer reaches the caller
          }
        }
      } finally {
        Fleet.shutdown(client);
      }
      int attempts = fleet.receivedByAll();
      long floor = (long) minPerSecond * windowSeconds;
      assertThat(attempts).isGreaterThan(requests);
      assertThat((double) attempts).isLessThanOrEqualTo((1 + ratio) * requests + floor);
      assertThat(mesh.service("orders").stats().retriesDenied()).isPositive();
    }
  }
}
