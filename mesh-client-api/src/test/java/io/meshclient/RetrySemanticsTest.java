package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryBudgetPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Retry decisions, rejections and status classification, driven through {@link MeshCall}. */
class RetrySemanticsTest {

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener listener = new RecordingListener();
  private final Mesh mesh =
      Mesh.builder().ticker(ticker).random(RandomSource.seeded(42)).listener(listener).build();

  private static final List<EndpointSpec> THREE =
      List.of(
          EndpointSpec.of("10.0.0.1:8080"),
          EndpointSpec.of("10.0.0.2:8080"),
          EndpointSpec.of("10.0.0.3:8080"));

  /** Retries on everything an adapter may report, 3 attempts, ample budget. */
  private static RetryPolicy.Builder retry() {
    return RetryPolicy.builder()
        .maxAttempts(3)
        .retryOn("connect-failure", "refused-stream", "reset", "timeout", "503", "UNAVAILABLE")
        .budget(RetryBudgetPolicy.of(1.0, 1000));
  }

  private static ServicePolicy.Builder orders() {
    return ServicePolicy.builder("orders")
        .endpoints(THREE)
        .retry(retry().build())
        .outlierDetection(OutlierDetectionPolicy.builder().consecutiveFailures(0).build());
  }

  private MeshCall call(ServicePolicy policy) {
    mesh.update(MeshPolicy.builder().version("v1").service(policy).build());
    return mesh.service(policy.name()).newCall();
  }

  private static MeshCall started(MeshCall call, TestRequest request) {
    assertThat(call.start(request, TestRequest.READER)).as("start").isTrue();
    return call;
  }

  // ---- idempotency ----

  @Test
  void postIsNotRetriedOn503() {
    MeshCall call = started(call(orders().build()), TestRequest.post("/orders"));
    int a = call.startAttempt();
    assertThat(call.onResponse(a, 503)).isEqualTo(RetryDecision.NOT_IDEMPOTENT);
    call.finish();
  }

  @Test
  void postIsNotRetriedAfterReset() {
    MeshCall call = started(call(orders().build()), TestRequest.post("/orders"));
    int a = call.startAttempt();
    assertThat(call.onFailure(a, Outcome.RESET)).isEqualTo(RetryDecision.NOT_IDEMPOTENT);
    call.finish();
  }

  @Test
  void postIsNotRetriedAfterPerTryTimeout() {
    MeshCall call = started(call(orders().build()), TestRequest.post("/orders"));
    int a = call.startAttempt();
    assertThat(call.onFailure(a, Outcome.TIMEOUT)).isEqualTo(RetryDecision.NOT_IDEMPOTENT);
    call.finish();
  }

  @Test
  void postIsRetriedAfterConnectFailureAndRefusedStreamBecauseNothingWasSent() {
    MeshCall call = started(call(orders().build()), TestRequest.post("/orders"));
    int a0 = call.startAttempt();
    assertThat(call.onFailure(a0, Outcome.CONNECT_FAILURE)).isEqualTo(RetryDecision.RETRY);
    int a1 = call.startAttempt();
    assertThat(call.onFailure(a1, Outcome.REFUSED_STREAM)).isEqualTo(RetryDecision.RETRY);
    int a2 = call.startAttempt();
    assertThat(call.onResponse(a2, 201)).isEqualTo(RetryDecision.DONE);
    call.finish();
  }

  @Test
  void idempotencyKeyMakesAPostRetryable() {
    MeshCall call =
        started(
            call(orders().build()), TestRequest.post("/orders").header("idempotency-key", "k1"));
    int a = call.startAttempt();
    assertThat(call.onResponse(a, 503)).isEqualTo(RetryDecision.RETRY);
    call.finish();
  }

  @Test
  void idempotentRouteMakesAPostRetryable() {
    ServicePolicy p =
        orders()
            .route(Route.of(RouteMatch.pathPrefix("/dedup"), Destination.all()).asIdempotent())
            .route(Route.of(RouteMatch.ANY, Destination.all()))
            .build();
    MeshCall call = call(p);

    started(call, TestRequest.post("/dedup/orders"));
    assertThat(call.onFailure(call.startAttempt(), Outcome.RESET)).isEqualTo(RetryDecision.RETRY);
    call.finish();

    started(call, TestRequest.post("/orders"));
    assertThat(call.onFailure(call.startAttempt(), Outcome.RESET))
        .isEqualTo(RetryDecision.NOT_IDEMPOTENT);
    call.finish();
  }

  @Test
  void transportDeclaredIdempotenceMakesAPostRetryable() {
    MeshCall call =
        started(call(orders().build()), TestRequest.post("/shop.Orders/Get").asIdempotent());
    assertThat(call.onGrpcStatus(call.startAttempt(), 14)).isEqualTo(RetryDecision.RETRY);
    call.finish();
  }

  @Test
  void idempotentMethodsAreRetriedOnConfiguredStatuses() {
    MeshCall call = call(orders().build());
    for (String method : List.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE")) {
      started(call, new TestRequest(method, "/orders", Map.of(), false));
      assertThat(call.onResponse(call.startAttempt(), 503))
          .as(method)
          .isEqualTo(RetryDecision.RETRY);
      call.finish();
    }
    started(call, new TestRequest("PATCH", "/orders", Map.of(), false));
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.NOT_IDEMPOTENT);
    call.finish();
  }

  @Test
  void statusesNotInRetryOnAreNotRetried() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/orders"));
    assertThat(call.onResponse(call.startAttempt(), 500)).isEqualTo(RetryDecision.NOT_RETRYABLE);
    call.finish();
    started(call, TestRequest.get("/orders"));
    assertThat(call.onResponse(call.startAttempt(), 404)).isEqualTo(RetryDecision.DONE);
    call.finish();
  }

  @Test
  void conditionsNotInRetryOnAreNotRetriedEvenWhenSafe() {
    MeshCall call =
        started(call(orders().retry(retry().retryOn("503").build()).build()), TestRequest.get("/"));
    assertThat(call.onFailure(call.startAttempt(), Outcome.CONNECT_FAILURE))
        .isEqualTo(RetryDecision.NOT_RETRYABLE);
    call.finish();
  }

  // ---- where retries go ----

  @ParameterizedTest
  @EnumSource(LbAlgorithm.class)
  void retriesGoToEndpointsNotYetTried(LbAlgorithm algorithm) {
    LoadBalancerPolicy lb =
        LoadBalancerPolicy.builder()
            .algorithm(algorithm)
            .hashHeader(algorithm == LbAlgorithm.RING_HASH ? "x-user" : null)
            .build();
    // breaker off: 200 failing calls would open it, which is not what this test is about
    MeshCall call =
        call(
            orders()
                .loadBalancer(lb)
                .circuitBreaker(CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                .build());
    for (int i = 0; i < 200; i++) {
      started(call, TestRequest.get("/orders").header("x-user", "user-" + i));
      Set<Endpoint> tried = new HashSet<>();
      for (int n = 0; n < 3; n++) {
        int a = call.startAttempt();
        assertThat(tried.add(call.endpoint(a))).as("attempt %d of call %d", n + 1, i).isTrue();
        RetryDecision d = call.onResponse(a, 503);
        assertThat(d).isEqualTo(n < 2 ? RetryDecision.RETRY : RetryDecision.ATTEMPTS_EXHAUSTED);
      }
      call.finish();
    }
  }

  @Test
  void aRetryGoesToTheSameEndpointWhenItIsTheOnlyOne() {
    MeshCall call = call(orders().endpoints(List.of(EndpointSpec.of("10.0.0.1:8080"))).build());
    started(call, TestRequest.get("/"));
    int a0 = call.startAttempt();
    assertThat(call.onFailure(a0, Outcome.CONNECT_FAILURE)).isEqualTo(RetryDecision.RETRY);
    int a1 = call.startAttempt();
    assertThat(call.endpoint(a1)).isSameAs(call.endpoint(a0));
    call.finish();
  }

  // ---- limits: attempts, deadline, commit ----

  @Test
  void stopsAtMaxAttempts() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/"));
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.RETRY);
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.RETRY);
    assertThat(call.onResponse(call.startAttempt(), 503))
        .isEqualTo(RetryDecision.ATTEMPTS_EXHAUSTED);
    assertThat(call.attemptCount()).isEqualTo(3);
    call.finish();
    assertThat(mesh.service("orders").stats().retries()).isEqualTo(2);
  }

  @Test
  void maxAttemptsOneNeverRetries() {
    MeshCall call =
        started(call(orders().retry(retry().maxAttempts(1).build()).build()), TestRequest.get("/"));
    assertThat(call.onFailure(call.startAttempt(), Outcome.CONNECT_FAILURE))
        .isEqualTo(RetryDecision.ATTEMPTS_EXHAUSTED);
    call.finish();
  }

  /**
   * With a 1 s timeout and a backoff of at most 1 ms, a retry after an attempt of latency L fits
   * only if L + backoff + L stays before the deadline.
   */
  @Test
  void noRetryWhenBackoffPlusLatencyWouldPassTheDeadline() {
    Duration timeout = Duration.ofSeconds(1);
    ServicePolicy p =
        orders()
            .timeout(timeout)
            .retry(
                retry()
                    .backoff(BackoffPolicy.of(Duration.ofMillis(1), Duration.ofMillis(1)))
                    .build())
            .build();
    MeshCall call = call(p);
    long half = timeout.toNanos() / 2;

    started(call, TestRequest.get("/"));
    int a = call.startAttempt();
    ticker.advanceNanos(half - Duration.ofMillis(1).toNanos() - 1); // 2L + 1ms < timeout
    assertThat(call.onResponse(a, 503)).isEqualTo(RetryDecision.RETRY);
    assertThat(call.backoffNanos()).isBetween(0L, Duration.ofMillis(1).toNanos());
    call.finish();

    started(call, TestRequest.get("/"));
    a = call.startAttempt();
    ticker.advanceNanos(half); // 2L = timeout: whatever the backoff, the retry cannot finish
    assertThat(call.onResponse(a, 503)).isEqualTo(RetryDecision.DEADLINE);
    call.finish();
    assertThat(mesh.service("orders").stats().retriesDenied()).isEqualTo(1);
    assertThat(listener.denied).containsExactly(RetryDecision.DEADLINE);
  }

  @Test
  void aGrpcDeadlineTightensTheTimeoutAndBoundsTheAttempt() {
    ServicePolicy p =
        orders()
            .timeout(Duration.ofSeconds(10))
            .retry(retry().perTryTimeout(Duration.ofSeconds(2)).build())
            .build();
    MeshCall call = started(call(p), TestRequest.get("/").asIdempotent());
    call.limitDeadline(Duration.ofMillis(500).toNanos());
    int a = call.startAttempt();
    assertThat(call.attemptTimeoutNanos(a)).isEqualTo(Duration.ofMillis(500).toNanos());
    assertThat(call.remainingNanos()).isEqualTo(Duration.ofMillis(500).toNanos());
    ticker.advance(Duration.ofMillis(300));
    assertThat(call.onGrpcStatus(a, 14)).isEqualTo(RetryDecision.DEADLINE);
    call.finish();
  }

  @Test
  void aLooserGrpcDeadlineDoesNotExtendThePolicyTimeout() {
    MeshCall call =
        started(call(orders().timeout(Duration.ofSeconds(1)).build()), TestRequest.get("/"));
    call.limitDeadline(Duration.ofSeconds(30).toNanos());
    assertThat(call.attemptTimeoutNanos(call.startAttempt()))
        .isEqualTo(Duration.ofSeconds(1).toNanos());
    call.finish();
  }

  @Test
  void perTryTimeoutIsBoundedByWhatIsLeftOfTheDeadline() {
    ServicePolicy p =
        orders()
            .timeout(Duration.ofSeconds(1))
            .retry(retry().perTryTimeout(Duration.ofMillis(400)).build())
            .build();
    MeshCall call = started(call(p), TestRequest.get("/"));
    int a0 = call.startAttempt();
    assertThat(call.attemptTimeoutNanos(a0)).isEqualTo(Duration.ofMillis(400).toNanos());
    ticker.advance(Duration.ofMillis(400));
    assertThat(call.onFailure(a0, Outcome.TIMEOUT)).isEqualTo(RetryDecision.RETRY);
    ticker.advanceNanos(call.backoffNanos());
    int a1 = call.startAttempt();
    assertThat(call.attemptTimeoutNanos(a1)).isEqualTo(Duration.ofMillis(400).toNanos());
    ticker.advance(Duration.ofMillis(400));
    // 800 ms + backoff gone: a third 400 ms attempt cannot finish
    assertThat(call.onFailure(a1, Outcome.TIMEOUT)).isEqualTo(RetryDecision.DEADLINE);
    call.finish();
  }

  @Test
  void commitStopsRetries() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/stream"));
    int a = call.startAttempt();
    call.commit();
    assertThat(call.onFailure(a, Outcome.RESET)).isEqualTo(RetryDecision.COMMITTED);
    call.finish();

    started(call, TestRequest.get("/stream")); // start() resets the commit
    assertThat(call.onFailure(call.startAttempt(), Outcome.RESET)).isEqualTo(RetryDecision.RETRY);
    call.finish();
  }

  @Test
  void cancelledIsNeitherRetriedNorAFailure() {
    ServicePolicy p =
        orders()
            .endpoints(List.of(EndpointSpec.of("10.0.0.1:8080")))
            .circuitBreaker(
                CircuitBreakerPolicy.builder().window(2).minimumCalls(1).halfOpenCalls(1).build())
            .build();
    MeshCall call = call(p);
    for (int i = 0; i < 5; i++) {
      started(call, TestRequest.get("/"));
      int a = call.startAttempt();
      assertThat(call.onFailure(a, Outcome.CANCELLED)).isEqualTo(RetryDecision.NOT_RETRYABLE);
      assertThat(call.endpoint(a).inFlight()).isZero();
      call.finish();
    }
    assertThat(mesh.service("orders").endpoints().get(0).breakerState())
        .isEqualTo(Endpoint.BreakerState.CLOSED);
  }

  @Test
  void aReportAfterTheFirstForOneAttemptIsIgnored() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/"));
    int a = call.startAttempt();
    Endpoint e = call.endpoint(a);
    assertThat(call.onResponse(a, 200)).isEqualTo(RetryDecision.DONE);
    assertThat(call.onFailure(a, Outcome.RESET)).isEqualTo(RetryDecision.DONE);
    call.finish();
    assertThat(e.inFlight()).isZero();
  }

  @Test
  void theListenerHearsEachRetryWithItsAttemptNumberAndCause() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/"));
    call.onFailure(call.startAttempt(), Outcome.CONNECT_FAILURE);
    call.onResponse(call.startAttempt(), 503);
    call.onResponse(call.startAttempt(), 200);
    call.finish();
    assertThat(listener.retries).containsExactly("2 CONNECT_FAILURE -1", "3 null 503");
  }

  @Test
  void aCancellationAtTheDeadlineSaysDeadline() {
    MeshCall call =
        started(call(orders().timeout(Duration.ofSeconds(1)).build()), TestRequest.get("/"));
    int a = call.startAttempt();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(call.onFailure(a, Outcome.CANCELLED)).isEqualTo(RetryDecision.DEADLINE);
    call.finish();
  }

  // ---- more than one attempt in flight (hedging) ----

  @Test
  void aHedgeGoesToAnotherEndpointAndFinishReleasesTheLoser() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/"));
    int first = call.startAttempt();
    int hedge = call.startAttempt();
    Endpoint a = call.endpoint(first);
    Endpoint b = call.endpoint(hedge);
    assertThat(b).isNotSameAs(a);
    assertThat(a.inFlight()).isEqualTo(1);
    assertThat(b.inFlight()).isEqualTo(1);
    assertThat(call.onResponse(hedge, 200)).isEqualTo(RetryDecision.DONE);
    call.finish(); // the first attempt is abandoned: no outcome recorded against a
    assertThat(a.inFlight()).isZero();
    assertThat(b.inFlight()).isZero();
    assertThat(call.attemptCount()).isEqualTo(2);
  }

  @Test
  void reusingACallAfterARetryStartsCleanly() {
    MeshCall call = started(call(orders().build()), TestRequest.get("/"));
    assertThat(call.onResponse(call.startAttempt(), 503)).isEqualTo(RetryDecision.RETRY);
    call.onResponse(call.startAttempt(), 200);
    call.finish();
    started(call, TestRequest.get("/"));
    assertThat(call.attemptCount()).isZero();
    int a = call.startAttempt();
    assertThat(a).isZero();
    assertThat(call.onResponse(a, 200)).isEqualTo(RetryDecision.DONE);
    call.finish();
    assertThat(mesh.service("orders").endpoints())
        .allSatisfy(e -> assertThat(e.inFlight()).isZero());
  }

  // ---- gRPC status classification ----

  @Test
  void grpcUnavailableIsRetryableByDefaultForIdempotentMethods() {
    MeshCall call =
        call(orders().retry(RetryPolicy.DEFAULT).build()); // default retryOn has UNAVAILABLE
    started(call, TestRequest.post("/shop.Orders/Get").asIdempotent());
    assertThat(call.onGrpcStatus(call.startAttempt(), 14)).isEqualTo(RetryDecision.RETRY);
    call.finish();

    started(call, TestRequest.post("/shop.Orders/Create"));
    assertThat(call.onGrpcStatus(call.startAttempt(), 14)).isEqualTo(RetryDecision.NOT_IDEMPOTENT);
    call.finish();
  }

  @Test
  void grpcInvalidArgumentIsTheCallersAnswerNotAFailure() {
    ServicePolicy p =
        orders()
            .endpoints(List.of(EndpointSpec.of("10.0.0.1:8080"), EndpointSpec.of("10.0.0.2:8080")))
            .outlierDetection(OutlierDetectionPolicy.builder().consecutiveFailures(1).build())
            .build();
    MeshCall call = call(p);
    for (int i = 0; i < 4; i++) {
      started(call, TestRequest.post("/shop.Orders/Get").asIdempotent());
      // like an HTTP 404: done, no retry, and nothing against the endpoint
      assertThat(call.onGrpcStatus(call.startAttempt(), 3)).isEqualTo(RetryDecision.DONE);
      call.finish();
    }
    assertThat(mesh.service("orders").stats().ejections()).isZero();

    started(call, TestRequest.post("/shop.Orders/Get").asIdempotent());
    int a = call.startAttempt();
    assertThat(call.onGrpcStatus(a, 14)).isEqualTo(RetryDecision.RETRY);
    call.finish();
    assertThat(call.endpoint(a).ejectionCount()).isEqualTo(1);
  }

  @Test
  void grpcCodesNotInRetryOnAreNotRetried() {
    MeshCall call = started(call(orders().build()), TestRequest.post("/a.B/C").asIdempotent());
    assertThat(call.onGrpcStatus(call.startAttempt(), 13)).isEqualTo(RetryDecision.NOT_RETRYABLE);
    call.finish();
    started(call, TestRequest.post("/a.B/C").asIdempotent());
    assertThat(call.onGrpcStatus(call.startAttempt(), 0)).isEqualTo(RetryDecision.DONE);
    call.finish();
  }

  // ---- rejections ----

  @Test
  void unknownServiceIsRejected() {
    MeshCall call = mesh.service("nowhere").newCall();
    assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isFalse();
    assertThat(call.rejection()).isEqualTo(Rejection.UNKNOWN_SERVICE);
    call.finish(); // harmless after a refused start
    assertThat(listener.rejected).containsExactly(Rejection.UNKNOWN_SERVICE);
  }

  @Test
  void requestMatchingNoRouteIsRejected() {
    MeshCall call =
        call(orders().route(Route.of(RouteMatch.pathPrefix("/api/"), Destination.all())).build());
    assertThat(call.start(TestRequest.get("/admin"), TestRequest.READER)).isFalse();
    assertThat(call.rejection()).isEqualTo(Rejection.NO_ROUTE);
    assertThat(call.start(TestRequest.get("/api/x"), TestRequest.READER)).isTrue();
    assertThat(call.rejection()).isEqualTo(Rejection.NONE);
    call.finish();
  }

  @Test
  void serviceWithoutEndpointsRejectsTheAttempt() {
    MeshCall call = started(call(orders().endpoints(List.of()).build()), TestRequest.get("/"));
    assertThat(call.startAttempt()).isEqualTo(-1);
    assertThat(call.rejection()).isEqualTo(Rejection.NO_ENDPOINTS);
    call.finish();
  }

  @Test
  void registeredEndpointsServeAPolicyWithoutStaticOnes() {
    MeshCall call = call(orders().endpoints(List.of()).build());
    mesh.updateEndpoints("orders", List.of(EndpointSpec.of("10.0.0.9:80")));
    started(call, TestRequest.get("/"));
    assertThat(call.endpoint(call.startAttempt()).address()).isEqualTo("10.0.0.9:80");
    call.finish();
  }

  @Test
  void fullConcurrencyLimitRejectsTheCallAndFreesOnFinish() {
    ServicePolicy p =
        orders()
            .circuitBreaker(CircuitBreakerPolicy.builder().maxConcurrentRequests(2).build())
            .build();
    call(p);
    ServiceHandle h = mesh.service("orders");
    MeshCall c1 = started(h.newCall(), TestRequest.get("/"));
    MeshCall c2 = started(h.newCall(), TestRequest.get("/"));
    MeshCall c3 = h.newCall();
    assertThat(c3.start(TestRequest.get("/"), TestRequest.READER)).isFalse();
    assertThat(c3.rejection()).isEqualTo(Rejection.CONCURRENCY_LIMIT);
    assertThat(h.stats().inFlight()).isEqualTo(2);
    c1.finish();
    assertThat(c3.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
    c2.finish();
    c3.finish();
    assertThat(h.stats().inFlight()).isZero();
    assertThat(h.stats().rejections()).isEqualTo(1);
  }

  @Test
  void everyBreakerOpenRejectsTheAttempt() {
    ServicePolicy p =
        orders()
            .circuitBreaker(
                CircuitBreakerPolicy.builder()
                    .window(4)
                    .minimumCalls(2)
                    .openDuration(Duration.ofSeconds(5))
                    .build())
            .retry(RetryPolicy.NONE)
            .build();
    MeshCall call = call(p);
    for (int i = 0; i < 6; i++) {
      started(call, TestRequest.get("/"));
      call.onResponse(call.startAttempt(), 503);
      call.finish();
    }
    assertThat(mesh.service("orders").endpoints())
        .allSatisfy(e -> assertThat(e.breakerState()).isEqualTo(Endpoint.BreakerState.OPEN));
    started(call, TestRequest.get("/"));
    assertThat(call.startAttempt()).isEqualTo(-1);
    assertThat(call.rejection()).isEqualTo(Rejection.BREAKER_OPEN);
    call.finish();
    MeshRejectedException ex = new MeshRejectedException("orders", call.rejection(), null);
    assertThat(ex)
        .hasMessage(
            "meshclient rejected a call to service 'orders': every candidate endpoint's circuit"
                + " breaker is open");
    assertThat(ex.getStackTrace()).isEmpty();
  }

  /** Records the rare events. */
  static final class RecordingListener implements MeshListener {
    final List<RetryDecision> denied = new ArrayList<>();
    final List<Rejection> rejected = new ArrayList<>();
    final List<String> retries = new ArrayList<>();

    @Override
    public void onRetry(String service, int attempt, Outcome outcome, int status) {
      retries.add(attempt + " " + outcome + " " + status);
    }

    @Override
    public void onRetryDenied(String service, RetryDecision reason) {
      denied.add(reason);
    }

    @Override
    public void onRejected(String service, Rejection reason) {
      rejected.add(reason);
    }
  }
}
