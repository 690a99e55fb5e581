package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Endpoint.BreakerState;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The failure-rate breaker of one endpoint on a fake ticker, stepped to just before and just past
 * each boundary: threshold after minimumCalls, open, half-open trials, close, reopen.
 */
class BreakerStateMachineTest {

  private static final Duration OPEN = Duration.ofSeconds(10);

  private final FakeTicker ticker = new FakeTicker();
  private final List<BreakerState> transitions = new ArrayList<>();
  private final Mesh mesh =
      Mesh.builder()
          .ticker(ticker)
          .random(RandomSource.seeded(7))
          .listener(
              new MeshListener() {
                @Override
                public void onBreakerStateChange(String service, Endpoint e, BreakerState state) {
                  transitions.add(state);
                }
              })
          .build();
  private ServiceHandle orders;
  private Endpoint endpoint;

  @BeforeEach
  void oneEndpointWithABreaker() {
    mesh.update(
        MeshPolicy.builder()
            .version("v1")
            .service(
                ServicePolicy.builder("orders")
                    .endpoint(EndpointSpec.of("10.0.0.1:8080"))
                    .retry(RetryPolicy.NONE)
                    // outlier detection off: only the breaker decides here
                    .outlierDetection(
                        OutlierDetectionPolicy.builder().consecutiveFailures(0).build())
                    .circuitBreaker(
                        CircuitBreakerPolicy.builder()
                            .failureRateThreshold(50)
                            .window(10)
                            .minimumCalls(6)
                            .openDuration(OPEN)
                            .halfOpenCalls(2)
                            .build())
                    .build())
            .build());
    orders = mesh.service("orders");
    endpoint = orders.endpoints().get(0);
  }

  /** One complete call: admitted, then answered 503 or 200. */
  private void call(boolean fail) {
    MeshCall call = orders.newCall();
    assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
    int a = call.startAttempt();
    assertThat(a).as("admitted").isNotNegative();
    call.onResponse(a, fail ? 503 : 200);
    call.finish();
  }

  /** Whether an attempt is admitted now; the admitted attempt stays in flight. */
  private MeshCall attempt() {
    MeshCall call = orders.newCall();
    assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
    call.startAttempt();
    return call;
  }

  private boolean admitted() {
    MeshCall call = attempt();
    boolean ok = call.attemptCount() == 1;
    if (!ok) {
      assertThat(call.rejection()).isEqualTo(Rejection.BREAKER_OPEN);
    }
    call.finish();
    return ok;
  }

  private void open() {
    for (int i = 0; i < 6; i++) {
      call(true);
    }
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void failuresBelowMinimumCallsDoNotOpen() {
    for (int i = 0; i < 5; i++) {
      call(true);
    }
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
    call(true); // the 6th call: now the rate (100%) is judged
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions).containsExactly(BreakerState.OPEN);
  }

  /** As in resilience4j: the rate is judged when minimumCalls is reached, even by a success. */
  @Test
  void failuresBeforeMinimumCallsAreJudgedWhenASuccessCompletesTheMinimum() {
    for (int i = 0; i < 5; i++) {
      call(true);
    }
    call(false); // 5 of 6 failed: 83% >= 50%
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void aSuccessCompletingTheMinimumBelowTheThresholdKeepsItClosed() {
    call(true);
    call(true);
    for (int i = 0; i < 4; i++) {
      call(false); // 2 of 6: 33%
    }
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void opensWhenTheFailureRateReachesTheThreshold() {
    for (int i = 0; i < 4; i++) {
      call(false);
    }
    call(true);
    call(true); // 2 of 6
    call(true); // 3 of 7 = 43% < 50%
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
    call(true); // 4 of 8 = 50%
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void failuresLeaveTheWindowAsItSlides() {
    for (int i = 0; i < 12; i++) {
      call(i < 2); // F F then ten successes: the two failures have left the window of 10
    }
    for (int i = 0; i < 4; i++) {
      call(true); // 4 of the last 10
    }
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
    call(true); // 5 of the last 10 (counted since the start, 7 of 17, it would stay closed)
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void refusesWhileOpenAndAdmitsTrialsWhenTheOpenDurationEnds() {
    open();
    assertThat(admitted()).isFalse();
    ticker.advanceNanos(OPEN.toNanos() - 1);
    assertThat(admitted()).isFalse();
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
    ticker.advanceNanos(1);
    MeshCall trial1 = attempt();
    assertThat(trial1.attemptCount()).isEqualTo(1);
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.HALF_OPEN);
    MeshCall trial2 = attempt();
    assertThat(trial2.attemptCount()).isEqualTo(1);
    assertThat(admitted()).as("a third trial while two are out").isFalse();
    trial1.finish();
    trial2.finish();
  }

  @Test
  void closesAfterTheTrialsSucceed() {
    open();
    ticker.advance(OPEN);
    call(false);
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.HALF_OPEN);
    call(false);
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
    // a fresh window: one failure does not reopen
    call(true);
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
    assertThat(transitions)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
  }

  @Test
  void aFailedTrialReopensForAnotherOpenDuration() {
    open();
    ticker.advance(OPEN);
    call(false);
    ticker.advance(Duration.ofSeconds(1));
    call(true);
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
    ticker.advanceNanos(OPEN.toNanos() - 1);
    assertThat(admitted()).isFalse();
    ticker.advanceNanos(1);
    assertThat(admitted()).isTrue();
    assertThat(transitions)
        .containsExactly(
            BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.OPEN, BreakerState.HALF_OPEN);
  }

  @Test
  void anAbandonedTrialGivesItsPermitBack() {
    open();
    ticker.advance(OPEN);
    MeshCall trial1 = attempt();
    MeshCall trial2 = attempt();
    assertThat(admitted()).isFalse();
    assertThat(admitted()).isFalse();
    trial1.finish(); // cancelled before an answer: neither success nor failure
    MeshCall trial3 = attempt();
    assertThat(trial3.attemptCount()).as("the abandoned trial's permit is reusable").isEqualTo(1);
    trial2.onResponse(0, 200);
    trial2.finish();
    trial3.onResponse(0, 200);
    trial3.finish();
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void aStragglerAdmittedBeforeOpeningDoesNotCloseIt() {
    MeshCall straggler = attempt();
    open();
    straggler.onResponse(0, 200);
    straggler.finish();
    assertThat(endpoint.breakerState()).isEqualTo(BreakerState.OPEN);
    assertThat(endpoint.inFlight()).isZero();
  }

  @Test
  void theOpenEndpointIsSkippedWhileAnotherIsClosed() {
    mesh.update(
        mesh.policy().toBuilder()
            .version("v2")
            .service(
                mesh.policy().service("orders").toBuilder()
                    .endpoint(EndpointSpec.of("10.0.0.2:8080"))
                    .build())
            .build());
    assertThat(orders.endpoints().get(0)).isSameAs(endpoint);
    // open the first endpoint's breaker by failing only there
    int failures = 0;
    while (endpoint.breakerState() == BreakerState.CLOSED) {
      MeshCall call = attempt();
      boolean first = call.endpoint(0) == endpoint;
      call.onResponse(0, first ? 503 : 200);
      call.finish();
      failures += first ? 1 : 0;
      assertThat(failures).isLessThanOrEqualTo(6);
    }
    for (int i = 0; i < 20; i++) {
      MeshCall call = attempt();
      assertThat(call.endpoint(0)).isNotSameAs(endpoint);
      call.finish();
    }
  }
}
