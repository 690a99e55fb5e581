package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.Endpoint.BreakerState;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.PolicyValidationException;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Mesh#update}: per-endpoint state (breaker, ejection, in-flight, latency) survives for the
 * endpoints that stay and is dropped for those that leave; a bad update changes nothing.
 */
class MeshUpdateTest {

  private static final EndpointSpec A = EndpointSpec.of("10.0.0.1:80");
  private static final EndpointSpec B = EndpointSpec.of("10.0.0.2:80");
  private static final EndpointSpec C = EndpointSpec.of("10.0.0.3:80");
  private static final EndpointSpec D = EndpointSpec.of("10.0.0.4:80");

  private final FakeTicker ticker = new FakeTicker();
  private final Mesh mesh = Mesh.builder().ticker(ticker).random(RandomSource.seeded(11)).build();

  private static ServicePolicy.Builder orders(EndpointSpec... endpoints) {
    return ServicePolicy.builder("orders")
        .endpoints(List.of(endpoints))
        .loadBalancer(LbAlgorithm.P2C_EWMA)
        .retry(RetryPolicy.NONE)
        .circuitBreaker(
            CircuitBreakerPolicy.builder().window(4).minimumCalls(2).halfOpenCalls(1).build())
        .outlierDetection(
            OutlierDetectionPolicy.builder().consecutiveFailures(2).maxEjectionPercent(50).build());
  }

  private void apply(String version, ServicePolicy policy) {
    mesh.update(MeshPolicy.builder().version(version).service(policy).build());
  }

  private Endpoint endpoint(String address) {
    return mesh.service("orders").endpoints().stream()
        .filter(e -> e.address().equals(address))
        .findFirst()
        .orElseThrow();
  }

  /** Sends calls until {@code target} has had {@code n} answers of {@code status}. */
  private void answer(Endpoint target, int status, int n, Duration latency) {
    ServiceHandle h = mesh.service("orders");
    int done = 0;
    for (int i = 0; i < 1000 && done < n; i++) {
      MeshCall call = h.newCall();
      assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
      int a = call.startAttempt();
      if (a < 0) {
        continue;
      }
      boolean hit = call.endpoint(a) == target;
      ticker.advance(hit ? latency : Duration.ofMillis(1));
      call.onResponse(a, hit ? status : 200);
      call.finish();
      done += hit ? 1 : 0;
    }
    assertThat(done).as("answers from %s", target).isEqualTo(n);
  }

  @Test
  void endpointStateSurvivesAnUpdateForEndpointsThatStay() {
    apply("v1", orders(A, B, C, D).build());
    Endpoint a = endpoint(A.address());
    Endpoint b = endpoint(B.address());
    Endpoint c = endpoint(C.address());
    answer(c, 200, 1, Duration.ofMillis(40)); // c: a latency estimate (then P2C avoids it)
    answer(a, 503, 2, Duration.ofMillis(1)); // a: ejected (2 consecutive) and breaker open (2 of 2)
    assertThat(a.isEjected(ticker.read())).isTrue();
    assertThat(a.breakerState()).isEqualTo(BreakerState.OPEN);
    long cLatency = c.latencyEwmaNanos();
    assertThat(cLatency).isPositive();
    MeshCall inFlight = mesh.service("orders").newCall();
    inFlight.start(TestRequest.get("/"), TestRequest.READER);
    Endpoint busy = inFlight.endpoint(inFlight.startAttempt());
    assertThat(busy.inFlight()).isEqualTo(1);

    // a new version: different timeout and retry, same breaker and outlier settings, D leaves
    apply("v2", orders(A, B, C).timeout(Duration.ofSeconds(5)).retry(RetryPolicy.DEFAULT).build());

    assertThat(endpoint(A.address())).isSameAs(a);
    assertThat(endpoint(B.address())).isSameAs(b);
    assertThat(endpoint(C.address())).isSameAs(c);
    assertThat(a.isEjected(ticker.read())).isTrue();
    assertThat(a.ejectionCount()).isEqualTo(1);
    assertThat(a.breakerState()).isEqualTo(BreakerState.OPEN);
    assertThat(c.latencyEwmaNanos()).isEqualTo(cLatency);
    assertThat(busy.inFlight()).isEqualTo(1);
    inFlight.onResponse(0, 200);
    inFlight.finish();
    assertThat(busy.inFlight()).isZero();
  }

  @Test
  void stateOfAnEndpointThatLeftIsDroppedAndItComesBackFresh() {
    apply("v1", orders(A, B, C, D).build());
    Endpoint a = endpoint(A.address());
    answer(a, 503, 2, Duration.ofMillis(1));
    assertThat(a.isEjected(ticker.read())).isTrue();
    MeshCall inFlight = mesh.service("orders").newCall();
    Endpoint held = null;
    while (held != a) { // an attempt in flight on a when it leaves
      inFlight.finish();
      ticker.advance(Duration.ofSeconds(31)); // past the ejection
      inFlight.start(TestRequest.get("/"), TestRequest.READER);
      int att = inFlight.startAttempt();
      held = att < 0 ? null : inFlight.endpoint(att);
    }

    apply("v2", orders(B, C, D).build());
    assertThat(mesh.service("orders").endpoints()).doesNotContain(a);
    apply("v3", orders(A, B, C, D).build());

    Endpoint again = endpoint(A.address());
    assertThat(again).isNotSameAs(a);
    assertThat(again.ejectionCount()).isZero();
    assertThat(again.breakerState()).isEqualTo(BreakerState.CLOSED);
    assertThat(again.inFlight()).isZero();
    inFlight.onResponse(0, 200); // the old call finishes on the old state
    inFlight.finish();
    assertThat(a.inFlight()).isZero();
    assertThat(again.inFlight()).isZero();
  }

  @Test
  void aChangedBreakerConfigurationStartsAFreshBreaker() {
    apply("v1", orders(A, B, C, D).build());
    Endpoint a = endpoint(A.address());
    answer(a, 503, 2, Duration.ofMillis(1));
    assertThat(a.breakerState()).isEqualTo(BreakerState.OPEN);
    apply(
        "v2",
        orders(A, B, C, D)
            .circuitBreaker(CircuitBreakerPolicy.builder().window(8).minimumCalls(2).build())
            .build());
    assertThat(a.breakerState()).isEqualTo(BreakerState.CLOSED);
    assertThat(a.isEjected(ticker.read())).as("ejection is not the breaker's").isTrue();
  }

  @Test
  void inFlightCallsFinishOnTheSnapshotTheyStartedWith() {
    apply("v1", orders(A, B).retry(RetryPolicy.builder().maxAttempts(3).build()).build());
    MeshCall call = mesh.service("orders").newCall();
    call.start(TestRequest.get("/"), TestRequest.READER);
    int a0 = call.startAttempt();
    apply("v2", orders(C, D).build());
    assertThat(call.policy().retry().maxAttempts()).isEqualTo(3);
    assertThat(call.onResponse(a0, 503)).isEqualTo(RetryDecision.RETRY);
    int a1 = call.startAttempt();
    assertThat(call.endpoint(a1).address()).isIn(A.address(), B.address());
    call.onResponse(a1, 200);
    call.finish();
    assertThat(call.endpoint(a0).inFlight()).isZero();
    assertThat(call.endpoint(a1).inFlight()).isZero();
  }

  @Test
  void anInvalidPolicyNeverReachesTheMeshAndTheOldOneStaysInForce() {
    apply("v1", orders(A, B).build());
    MeshPolicy before = mesh.policy();

    assertThatThrownBy(() -> apply("v2", orders(A, A).build()))
        .isInstanceOf(PolicyValidationException.class)
        .hasMessageContaining("orders.endpoints[1].address: duplicate endpoint 10.0.0.1:80");
    assertThatThrownBy(
            () -> mesh.update(new MeshPolicy("v2", Map.of("payments", orders(C).build()))))
        .isInstanceOf(PolicyValidationException.class);

    assertThat(mesh.policy()).isSameAs(before);
    assertThat(mesh.knows("payments")).isFalse();
    assertThat(mesh.service("orders").endpoints())
        .extracting(Endpoint::address)
        .containsExactly(A.address(), B.address());
  }

  @Test
  void badRegisteredEndpointsAreRejectedAndThePreviousOnesStay() {
    apply("v1", orders().build()); // no static endpoints: registered ones are used
    mesh.updateEndpoints("orders", List.of(A, B));
    Endpoint a = endpoint(A.address());

    assertThatThrownBy(
            () -> mesh.updateEndpoints("orders", List.of(A, EndpointSpec.of("not-an-address"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("orders: endpoint address is not host:port, got 'not-an-address'");

    assertThat(mesh.service("orders").endpoints())
        .extracting(Endpoint::address)
        .containsExactly(A.address(), B.address());
    assertThat(endpoint(A.address())).isSameAs(a);
    // and the next good update still works from the last good list
    apply("v2", orders().timeout(Duration.ofSeconds(1)).build());
    assertThat(mesh.service("orders").endpoints())
        .extracting(Endpoint::address)
        .containsExactly(A.address(), B.address());
  }

  /** A registry's bad weight must not reach the request path (WRR divides by the weights). */
  @Test
  void registeredEndpointsWithAnInvalidWeightAreRejectedAndThePreviousOnesStay() {
    apply("v1", orders().loadBalancer(LbAlgorithm.WEIGHTED_ROUND_ROBIN).build());
    mesh.updateEndpoints("orders", List.of(A, B));

    assertThatThrownBy(
            () -> mesh.updateEndpoints("orders", List.of(A.withWeight(0), B.withWeight(0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("orders: endpoint 10.0.0.1:80 has weight 0 (expected: a weight in [1, 10000])");

    MeshCall call = mesh.service("orders").newCall();
    call.start(TestRequest.get("/"), TestRequest.READER);
    assertThat(call.endpoint(call.startAttempt()).weight()).isEqualTo(1);
    call.finish();
  }

  @Test
  void handlesStayValidAndListenersHearEveryChange() throws Exception {
    ServiceHandle h = mesh.service("orders"); // before the mesh knows it
    assertThat(h.isKnown()).isFalse();
    List<List<String>> seen = new ArrayList<>();
    AutoCloseable registration =
        h.onEndpointsChanged(eps -> seen.add(eps.stream().map(Endpoint::address).toList()));
    apply("v1", orders(A).build());
    apply("v2", orders(A, B).build());
    apply("v3", ServicePolicy.builder("other").build()); // orders leaves the policy
    registration.close();
    apply("v4", orders(C).build());
    assertThat(seen)
        .containsExactly(
            List.of(), List.of("10.0.0.1:80"), List.of("10.0.0.1:80", "10.0.0.2:80"), List.of());
    assertThat(h.isKnown()).isTrue();
    assertThat(mesh.service("orders")).isSameAs(h);
  }
}
