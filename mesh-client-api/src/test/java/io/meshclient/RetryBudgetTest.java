package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryBudgetPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The retry budget under sustained failure, on a fake clock: a failing dependency sees at most (1 +
 * ratio) times its load plus the floor, never maxAttempts times.
 */
class RetryBudgetTest {

  private static final long SECOND = Duration.ofSeconds(1).toNanos();
  private static final int WINDOW_SECONDS = 10;

  private final FakeTicker ticker = new FakeTicker(); // starts on a whole second
  private final Mesh mesh = Mesh.builder().ticker(ticker).random(RandomSource.seeded(9)).build();

  private ServiceHandle orders(double ratio, int minPerSecond) {
    mesh.update(
        MeshPolicy.builder()
            .version("v1")
            .service(
                ServicePolicy.builder("orders")
                    .endpoints(
                        List.of(
                            EndpointSpec.of("10.0.0.1:80"),
                            EndpointSpec.of("10.0.0.2:80"),
                            EndpointSpec.of("10.0.0.3:80")))
                    .retry(
                        RetryPolicy.builder()
                            .maxAttempts(3)
                            .retryOn("503")
                            .budget(
                                new RetryBudgetPolicy(
                                    ratio, minPerSecond, Duration.ofSeconds(WINDOW_SECONDS)))
                            .build())
                    // neither breaker nor ejection: the budget alone must hold retries back
                    .circuitBreaker(CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                    .outlierDetection(
                        OutlierDetectionPolicy.builder().consecutiveFailures(0).build())
                    .build())
            .build());
    return mesh.service("orders");
  }

  /** Per-second tallies of a simulated run. */
  private static final class Tally {
    final long[] requests;
    final long[] retries;
    long denied;

    Tally(int seconds) {
      requests = new long[seconds + 1];
      retries = new long[seconds + 1];
    }

    long sum(long[] of, int from, int to) {
      long s = 0;
      for (int i = Math.max(0, from); i <= to; i++) {
        s += of[i];
      }
      return s;
    }
  }

  /**
   * Runs {@code perSecond} GET requests a second for {@code seconds}, every attempt answered 503,
   * each retried while the engine allows (waiting its backoff on the fake clock). Checks, at every
   * granted retry, the exact bound: retries ≤ ratio × requests + minPerSecond × window over the
   * budget's window of whole seconds, counted independently of the engine.
   */
  private Tally run(ServiceHandle h, int perSecond, int seconds, double ratio, int minPerSecond) {
    Tally t = new Tally(seconds);
    long origin = ticker.read();
    long gap = SECOND / perSecond;
    MeshCall call = h.newCall();
    for (int i = 0; i < perSecond * seconds; i++) {
      long due = origin + i * gap;
      if (ticker.read() < due) {
        ticker.advanceNanos(due - ticker.read());
      }
      assertThat(call.start(TestRequest.get("/orders"), TestRequest.READER)).isTrue();
      t.requests[second(origin)]++;
      while (true) {
        int a = call.startAttempt();
        assertThat(a).isNotNegative();
        RetryDecision d = call.onResponse(a, 503);
        if (!d.isRetry()) {
          assertThat(d).isIn(RetryDecision.BUDGET_EXHAUSTED, RetryDecision.ATTEMPTS_EXHAUSTED);
          t.denied += d == RetryDecision.BUDGET_EXHAUSTED ? 1 : 0;
          break;
        }
        int s = second(origin);
        t.retries[s]++;
        long ret = t.sum(t.retries, s - WINDOW_SECONDS + 1, s);
        long req = t.sum(t.requests, s - WINDOW_SECONDS + 1, s);
        double bound = ratio * req + (double) minPerSecond * WINDOW_SECONDS;
        if (ret > bound) {
          throw new AssertionError(
              ret
                  + " retries against "
                  + req
                  + " requests in the window ending at second "
                  + s
                  + ": more than "
                  + bound);
        }
        ticker.advanceNanos(call.backoffNanos());
      }
      call.finish();
    }
    return t;
  }

  private int second(long origin) {
    return (int) ((ticker.read() - origin) / SECOND);
  }

  @Test
  void retriesStayWithinRatioPlusFloorUnderSustainedFailure() {
    ServiceHandle h = orders(0.2, 10);
    int seconds = 60;
    Tally t = run(h, 100, seconds, 0.2, 10);

    long requests = t.sum(t.requests, 0, seconds);
    long retries = t.sum(t.retries, 0, seconds);
    assertThat(requests).isEqualTo(6000);
    assertThat(h.stats().retries()).isEqualTo(retries);
    // without the budget: 2 retries per request (3x load); with it: at most 20% + 10/s. The last
    // requests' retries spill into second 60 (their backoff), so the floor counts 61 seconds;
    // the exact sliding-window bound is checked at every retry inside run().
    assertThat(retries).isLessThanOrEqualTo((long) (0.2 * requests) + 10L * (seconds + 1));
    assertThat((requests + retries) / (double) requests)
        .isLessThanOrEqualTo(1.0 + 0.2 + 10.0 * (seconds + 1) / requests); // about 1.3x, not 3x
    // and the budget is spent, not hoarded: in steady state (the last window) retries fill it
    long lastReq = t.sum(t.requests, seconds - WINDOW_SECONDS, seconds - 1);
    long lastRet = t.sum(t.retries, seconds - WINDOW_SECONDS, seconds - 1);
    assertThat(lastRet).isGreaterThanOrEqualTo((long) (0.95 * (0.2 * lastReq + 100)));
    assertThat(h.stats().retriesDenied()).isEqualTo(t.denied).isPositive();
  }

  @Test
  void theFloorLetsALowTrafficCallerRetryEveryRequest() {
    ServiceHandle h = orders(0.2, 10);
    Tally t = run(h, 2, 30, 0.2, 10); // 2 requests a second, each retried twice: 4 retries/s < 10
    assertThat(t.sum(t.retries, 0, 30)).isEqualTo(2 * t.sum(t.requests, 0, 30));
    assertThat(h.stats().retriesDenied()).isZero();
  }

  @Test
  void aZeroBudgetAllowsNoRetryAtAll() {
    ServiceHandle h = orders(0, 0);
    MeshCall call = h.newCall();
    call.start(TestRequest.get("/"), TestRequest.READER);
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.BUDGET_EXHAUSTED);
    call.finish();
    assertThat(h.stats().retriesDenied()).isEqualTo(1);
  }

  @Test
  void theFloorAloneAllowsExactlyMinPerSecondTimesTheWindow() {
    ServiceHandle h = orders(0, 3); // 30 retries per 10 s window, whatever the traffic
    MeshCall call = h.newCall();
    int granted = 0;
    for (int i = 0; i < 100; i++) {
      call.start(TestRequest.get("/"), TestRequest.READER);
      if (call.onResponse(call.startAttempt(), 503).isRetry()) {
        granted++;
      }
      call.finish();
    }
    assertThat(granted).isEqualTo(30);
    // retries leave the window with their second: ten seconds on, the floor is whole again
    ticker.advanceNanos(WINDOW_SECONDS * SECOND - 1);
    call.start(TestRequest.get("/"), TestRequest.READER);
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.BUDGET_EXHAUSTED);
    call.finish();
    ticker.advanceNanos(1);
    call.start(TestRequest.get("/"), TestRequest.READER);
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.RETRY);
    call.finish();
  }
}
