package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Regression tests named after what they guard. */
class EngineRegressionTest {

  private final FakeTicker ticker = new FakeTicker();

  private Mesh mesh(ServicePolicy... services) {
    Mesh mesh = Mesh.builder().ticker(ticker).random(RandomSource.seeded(7)).build();
    MeshPolicy.Builder b = MeshPolicy.builder().version("1");
    for (ServicePolicy s : services) {
      b.service(s);
    }
    mesh.update(b.build());
    return mesh;
  }

  private static ServicePolicy orders(Duration timeout) {
    return ServicePolicy.builder("orders")
        .timeout(timeout)
        .endpoint(EndpointSpec.of("10.0.0.1:80"))
        .endpoint(EndpointSpec.of("10.0.0.2:80"))
        .build();
  }

  @Test
  void noAttemptStartsOnceTheCallsDeadlineHasPassed() {
    Mesh mesh = mesh(orders(Duration.ofSeconds(1)));
    MeshCall call = mesh.service("orders").newCall();
    assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
    int first = call.startAttempt();
    ticker.advance(Duration.ofMillis(1000));
    assertThat(call.startAttempt()).as("a hedge after the deadline").isEqualTo(-1);
    assertThat(call.rejection()).isEqualTo(Rejection.DEADLINE_EXCEEDED);
    call.onFailure(first, Outcome.CANCELLED);
    call.finish();
    assertThat(call.endpoint(first).inFlight()).isZero();
  }

  @Test
  void aThrowingEndpointListenerDoesNotStopTheOthersOrTheUpdate() {
    Mesh mesh = mesh(orders(Duration.ZERO));
    List<Integer> heard = new ArrayList<>();
    mesh.service("orders")
        .onEndpointsChanged(
            eps -> {
              if (!heard.isEmpty()) {
                throw new IllegalStateException("listener bug");
              }
              heard.add(-1);
            });
    mesh.service("orders").onEndpointsChanged(eps -> heard.add(eps.size()));
    mesh.update(
        MeshPolicy.builder()
            .version("2")
            .service(orders(Duration.ZERO).toBuilder().endpoint(EndpointSpec.of("10.0.0.3:80")).build())
            .build());
    assertThat(heard).containsExactly(-1, 2, 3);
    assertThat(mesh.policy().version()).isEqualTo("2");
  }

  @Test
  void oneUpdateSwitchesEveryServiceTogether() {
    Mesh mesh = mesh(orders(Duration.ZERO), ServicePolicy.builder("payments").endpoint(EndpointSpec.of("10.0.1.1:80")).build());
    ServiceHandle orders = mesh.service("orders");
    ServiceHandle payments = mesh.service("payments");
    mesh.update(
        MeshPolicy.builder()
            .version("2")
            .service(orders(Duration.ofSeconds(3)))
            .service(ServicePolicy.builder("payments").timeout(Duration.ofSeconds(3)).endpoint(EndpointSpec.of("10.0.1.1:80")).build())
            .build());
    assertThat(orders.policy().timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(payments.policy().timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(mesh.services()).containsExactly("orders", "payments");
  }

  @Test
  void retriesDoNotMoveTheRoundRobinCursorSoFirstAttemptsKeepAlternating() {
    Mesh mesh = mesh(orders(Duration.ZERO));
    MeshCall call = mesh.service("orders").newCall();
    String failing = null;
    int failingFirst = 0;
    int healthyFirst = 0;
    for (int i = 0; i < 8; i++) { // fewer failures than outlier detection's 5 in a row would eject
      assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
      int a = call.startAttempt();
      String address = call.endpoint(a).address();
      if (failing == null) {
        failing = address;
      }
      if (address.equals(failing)) {
        failingFirst++;
        assertThat(call.onResponse(a, 503)).isEqualTo(RetryDecision.RETRY);
        call.onResponse(call.startAttempt(), 200);
      } else {
        healthyFirst++;
        call.onResponse(a, 200);
      }
      call.finish();
    }
    // Before the fix the retry advanced the shared cursor: every first attempt hit the failing one.
    assertThat(failingFirst).isEqualTo(4);
    assertThat(healthyFirst).isEqualTo(4);
  }

  @Test
  void onceEveryEndpointWasTriedARetryGoesBackToOneThatAnsweredNotToOneThatCouldNotConnect() {
    Mesh mesh =
        mesh(
            orders(Duration.ZERO).toBuilder()
                .retry(io.meshclient.policy.RetryPolicy.builder().maxAttempts(4).build())
                // no ejections: the point is the retry target while both stay in the picker
                .outlierDetection(
                    io.meshclient.policy.OutlierDetectionPolicy.builder().consecutiveFailures(0).build())
                .circuitBreaker(
                    io.meshclient.policy.CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                .build());
    MeshCall call = mesh.service("orders").newCall();
    for (int round = 0; round < 20; round++) {
      assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
      String dead = "10.0.0.1:80";
      for (int n = 0; n < 4; n++) {
        int a = call.startAttempt();
        String address = call.endpoint(a).address();
        if (n >= 2) {
          assertThat(address).as("attempt %d of round %d", n + 1, round).isNotEqualTo(dead);
        }
        RetryDecision d =
            address.equals(dead) ? call.onFailure(a, Outcome.CONNECT_FAILURE) : call.onResponse(a, 503);
        if (!d.isRetry()) {
          break;
        }
      }
      call.finish();
    }
  }

  @Test
  void aRetryAfterARefusedConnectionGoesToAnEjectedEndpointWhenThePickerHoldsNoOther() {
    // The demo's case: b was ejected just before a died. maxEjectionPercent (one of two) is spent
    // on b, so a cannot be ejected and the picker holds a alone: every retry went back to a.
    Mesh mesh =
        mesh(
            orders(Duration.ZERO).toBuilder()
                .retry(io.meshclient.policy.RetryPolicy.builder().maxAttempts(4).build())
                .outlierDetection(
                    io.meshclient.policy.OutlierDetectionPolicy.builder()
                        .consecutiveFailures(3)
                        .maxEjectionPercent(50)
                        .build())
                .build());
    ServiceHandle orders = mesh.service("orders");
    String dead = "10.0.0.1:80";
    String flaky = "10.0.0.2:80";
    MeshCall call = orders.newCall();
    for (int n = 0; n < 20 && !ejected(orders, flaky); n++) {
      assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
      int a = call.startAttempt();
      call.onResponse(a, call.endpoint(a).address().equals(flaky) ? 503 : 200);
      call.finish();
    }
    assertThat(ejected(orders, flaky)).as("b ejected").isTrue();

    for (int round = 0; round < 10; round++) {
      assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
      int first = call.startAttempt();
      assertThat(call.endpoint(first).address()).isEqualTo(dead); // the only one in the picker
      assertThat(call.onFailure(first, Outcome.CONNECT_FAILURE)).isEqualTo(RetryDecision.RETRY);
      int retry = call.startAttempt();
      assertThat(call.endpoint(retry).address()).as("round %d", round).isEqualTo(flaky);
      assertThat(call.onResponse(retry, 200)).isEqualTo(RetryDecision.DONE);
      call.finish();
    }
    assertThat(ejected(orders, dead)).as("a: the ejection budget is b's").isFalse();
  }

  private boolean ejected(ServiceHandle service, String address) {
    return service.endpoints().stream()
        .anyMatch(e -> e.address().equals(address) && e.isEjected(ticker.read()));
  }
}
