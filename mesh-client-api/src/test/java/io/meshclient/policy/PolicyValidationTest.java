package io.meshclient.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every invalid policy is rejected with a message naming the service, the field path and the bad
 * value; all problems of one policy come together.
 */
class PolicyValidationTest {

  private static final EndpointSpec V1 = EndpointSpec.of("10.0.0.1:8080", Map.of("version", "v1"));
  private static final EndpointSpec V2 = EndpointSpec.of("10.0.0.2:8080", Map.of("version", "v2"));

  /** A valid policy for {@code orders} that each case breaks in one way. */
  private static ServicePolicy.Builder valid() {
    return ServicePolicy.builder("orders").endpoint(V1).endpoint(V2);
  }

  private static RetryPolicy.Builder retry() {
    return RetryPolicy.DEFAULT.toBuilder();
  }

  private static CircuitBreakerPolicy.Builder breaker() {
    return CircuitBreakerPolicy.DEFAULT.toBuilder();
  }

  private static OutlierDetectionPolicy.Builder outlier() {
    return OutlierDetectionPolicy.DEFAULT.toBuilder();
  }

  /** One invalid policy: how it is broken and exactly what validation must say. */
  record Case(String name, Consumer<ServicePolicy.Builder> breakIt, List<String> expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case c(String name, Consumer<ServicePolicy.Builder> breakIt, String... expected) {
    return new Case(name, breakIt, List.of(expected));
  }

  static Stream<Case> invalidPolicies() {
    return Stream.of(
        c(
            "weights summing to 0",
            b -> b.route(Route.of(RouteMatch.ANY, Destination.subset(Map.of("version", "v1"), 0))),
            "orders.routes[0].to: weights sum to 0 (expected: at least one positive weight)"),
        c(
            "negative destination weight",
            b ->
                b.route(
                    Route.of(
                        RouteMatch.ANY,
                        Destination.subset(Map.of("version", "v1"), -5),
                        Destination.subset(Map.of("version", "v2"), 10))),
            "orders.routes[0].to[0].weight: must not be negative, got -5"),
        c(
            "route without destinations",
            b -> b.route(new Route(null, RouteMatch.ANY, List.of(), false)),
            "orders.routes[0].to: must name at least one destination"),
        c(
            "negative timeout",
            b -> b.timeout(Duration.ofSeconds(-1)),
            "orders.timeout: must not be negative, got -1s (expected: 0 for none, or a positive"
                + " duration)"),
        c(
            "negative per-try timeout",
            b -> b.retry(retry().perTryTimeout(Duration.ofMillis(-1)).build()),
            "orders.retry.perTryTimeout: must not be negative, got -1ms (expected: 0 for none,"
                + " or a positive duration)"),
        c(
            "maxAttempts 0",
            b -> b.retry(retry().maxAttempts(0).build()),
            "orders.retry.maxAttempts: must be in [1, 10], got 0"),
        c(
            "maxAttempts 11",
            b -> b.retry(retry().maxAttempts(11).build()),
            "orders.retry.maxAttempts: must be in [1, 10], got 11"),
        c(
            "budget ratio above 1",
            b -> b.retry(retry().budget(RetryBudgetPolicy.of(1.5, 10)).build()),
            "orders.retry.budget.ratio: must be in [0, 1], got 1.5"),
        c(
            "budget ratio NaN",
            b -> b.retry(retry().budget(RetryBudgetPolicy.of(Double.NaN, 10)).build()),
            "orders.retry.budget.ratio: must be in [0, 1], got NaN"),
        c(
            "negative budget floor",
            b -> b.retry(retry().budget(RetryBudgetPolicy.of(0.2, -1)).build()),
            "orders.retry.budget.minPerSecond: must not be negative, got -1"),
        c(
            "budget window not whole seconds",
            b ->
                b.retry(
                    retry()
                        .budget(new RetryBudgetPolicy(0.2, 10, Duration.ofMillis(1500)))
                        .build()),
            "orders.retry.budget.window: must be whole seconds in [1s, 60s], got 1500ms"),
        c(
            "unknown retryOn condition",
            b -> b.retry(retry().retryOn("reset", "retry-everything").build()),
            "orders.retry.retryOn[1]: unknown condition 'retry-everything' (expected: one of"
                + " connect-failure, refused-stream, reset, timeout, 5xx, gateway-error, an HTTP"
                + " status 400-599, or a gRPC status name such as UNAVAILABLE)"),
        c(
            "retryOn status outside 4xx/5xx",
            b -> b.retry(retry().retryOn("302").build()),
            "orders.retry.retryOn[0]: HTTP status must be in [400, 599], got 302"),
        c(
            "duplicate retryOn condition",
            b -> b.retry(retry().retryOn("503", "reset", "503").build()),
            "orders.retry.retryOn[2]: duplicate condition '503'"),
        c(
            "zero backoff base",
            b ->
                b.retry(
                    retry()
                        .backoff(BackoffPolicy.of(Duration.ZERO, Duration.ofMillis(250)))
                        .build()),
            "orders.retry.backoff.base: must be positive, got 0s"),
        c(
            "backoff max below base",
            b ->
                b.retry(
                    retry()
                        .backoff(BackoffPolicy.of(Duration.ofMillis(100), Duration.ofMillis(10)))
                        .build()),
            "orders.retry.backoff.max: must be at least base, got 10ms < 100ms"),
        c(
            "perTryTimeout longer than timeout",
            b ->
                b.timeout(Duration.ofSeconds(2))
                    .retry(retry().perTryTimeout(Duration.ofSeconds(5)).build()),
            "orders.retry.perTryTimeout: is longer than the whole call's timeout, got 5s > 2s"
                + " (expected: at most timeout)"),
        c(
            "duplicate endpoints",
            b -> b.endpoint(EndpointSpec.of("10.0.0.1:8080")),
            "orders.endpoints[2].address: duplicate endpoint 10.0.0.1:8080 (also endpoints[0])"),
        c(
            "duplicate IPv6 endpoints written alike",
            b -> b.endpoints(List.of(EndpointSpec.of("[::1]:80"), EndpointSpec.of("[::1]:80"))),
            "orders.endpoints[1].address: duplicate endpoint [::1]:80 (also endpoints[0])"),
        c(
            "address without port",
            b -> b.endpoints(List.of(EndpointSpec.of("orders-1.internal"))),
            "orders.endpoints[0].address: not host:port, got 'orders-1.internal' (expected e.g."
                + " 10.0.0.7:8080 or [::1]:8080)"),
        c(
            "port out of range",
            b -> b.endpoints(List.of(EndpointSpec.of("10.0.0.9:70000"))),
            "orders.endpoints[0].address: not host:port, got '10.0.0.9:70000' (expected e.g."
                + " 10.0.0.7:8080 or [::1]:8080)"),
        c(
            "endpoint weight 0",
            b -> b.endpoints(List.of(EndpointSpec.of("10.0.0.9:80").withWeight(0))),
            "orders.endpoints[0].weight: must be in [1, 10000], got 0"),
        c(
            "subset that selects no endpoint",
            b ->
                b.route(
                    Route.of(
                        RouteMatch.ANY,
                        Destination.subset(Map.of("version", "v1"), 90),
                        Destination.subset(Map.of("version", "v3"), 10))),
            "orders.routes[0].to[1].subset: selects no endpoint, got {version=v3} (expected: labels"
                + " that at least one of the service's endpoints has)"),
        c(
            "RING_HASH without hashHeader",
            b -> b.loadBalancer(LbAlgorithm.RING_HASH),
            "orders.loadBalancer.hashHeader: is required for RING_HASH (expected: the request"
                + " header to hash, e.g. x-user-id)"),
        c(
            "hashHeader without RING_HASH",
            b ->
                b.loadBalancer(
                    LoadBalancerPolicy.builder()
                        .algorithm(LbAlgorithm.LEAST_REQUEST)
                        .hashHeader("x-user-id")
                        .build()),
            "orders.loadBalancer.hashHeader: is only used by RING_HASH, got 'x-user-id' with"
                + " LEAST_REQUEST (expected: remove it, or use algorithm RING_HASH)"),
        c(
            "hashHeader that is no header name",
            b ->
                b.loadBalancer(
                    LoadBalancerPolicy.builder()
                        .algorithm(LbAlgorithm.RING_HASH)
                        .hashHeader("x user")
                        .build()),
            "orders.loadBalancer.hashHeader: not a valid header name, got 'x user'"),
        c(
            "ring size 0",
            b ->
                b.loadBalancer(
                    LoadBalancerPolicy.builder()
                        .algorithm(LbAlgorithm.RING_HASH)
                        .hashHeader("x-user-id")
                        .ringSize(0)
                        .build()),
            "orders.loadBalancer.ringSize: must be in [1, 1048576], got 0"),
        c(
            "zero EWMA decay",
            b ->
                b.loadBalancer(
                    LoadBalancerPolicy.builder()
                        .algorithm(LbAlgorithm.P2C_EWMA)
                        .ewmaDecay(Duration.ZERO)
                        .build()),
            "orders.loadBalancer.ewmaDecay: must be positive, got 0s"),
        c(
            "bad SPIFFE id",
            b -> b.identities(List.of("orders.shop.svc")),
            "orders.identities[0]: not a SPIFFE ID, got 'orders.shop.svc' (expected:"
                + " spiffe://<trust-domain>/<path>, e.g. spiffe://example.org/ns/shop/sa/orders)"),
        c(
            "SPIFFE id without path",
            b -> b.identities(List.of("spiffe://example.org")),
            "orders.identities[0]: not a SPIFFE ID, got 'spiffe://example.org' (expected:"
                + " spiffe://<trust-domain>/<path>, e.g. spiffe://example.org/ns/shop/sa/orders)"),
        c(
            "duplicate identity",
            b ->
                b.identities(
                    List.of(
                        "spiffe://example.org/ns/shop/sa/orders",
                        "spiffe://example.org/ns/shop/sa/orders")),
            "orders.identities[1]: duplicate identity 'spiffe://example.org/ns/shop/sa/orders'"),
        c(
            "STRICT without identities",
            b -> b.tls(TlsMode.STRICT),
            "orders.identities: must name at least one SPIFFE ID when tls is STRICT (expected: the"
                + " identities allowed to serve this service)"),
        c(
            "failure rate above 100",
            b -> b.circuitBreaker(breaker().failureRateThreshold(101).build()),
            "orders.circuitBreaker.failureRateThreshold: must be in [0, 100], got 101"),
        c(
            "minimumCalls above window",
            b -> b.circuitBreaker(breaker().window(10).minimumCalls(20).build()),
            "orders.circuitBreaker.minimumCalls: must be in [1, window=10], got 20"),
        c(
            "negative open duration",
            b -> b.circuitBreaker(breaker().openDuration(Duration.ofSeconds(-30)).build()),
            "orders.circuitBreaker.openDuration: must be positive, got -30s"),
        c(
            "zero half-open calls",
            b -> b.circuitBreaker(breaker().halfOpenCalls(0).build()),
            "orders.circuitBreaker.halfOpenCalls: must be in [1, 1000], got 0"),
        c(
            "negative concurrency limit",
            b -> b.circuitBreaker(breaker().maxConcurrentRequests(-1).build()),
            "orders.circuitBreaker.maxConcurrentRequests: must not be negative, got -1 (expected: 0"
                + " for no limit)"),
        c(
            "maxEjectionTime below base",
            b ->
                b.outlierDetection(
                    outlier()
                        .baseEjectionTime(Duration.ofSeconds(30))
                        .maxEjectionTime(Duration.ofSeconds(10))
                        .build()),
            "orders.outlierDetection.maxEjectionTime: must be at least baseEjectionTime, got 10s"
                + " < 30s"),
        c(
            "maxEjectionPercent above 100",
            b -> b.outlierDetection(outlier().maxEjectionPercent(150).build()),
            "orders.outlierDetection.maxEjectionPercent: must be in [0, 100], got 150"),
        c(
            "negative consecutive failures",
            b -> b.outlierDetection(outlier().consecutiveFailures(-1).build()),
            "orders.outlierDetection.consecutiveFailures: must be in [0, 1000], got -1"),
        c(
            "bad regex",
            b -> b.route(Route.of(RouteMatch.pathRegex("/orders/(\\d+"), Destination.all())),
            "orders.routes[0].match.pathRegex: not a valid regular expression, got '/orders/(\\d+':"
                + " Unclosed group near index 12"),
        c(
            "two path conditions",
            b ->
                b.route(
                    Route.of(
                        new RouteMatch("/orders", "/orders/", null, List.of(), Map.of()),
                        Destination.all())),
            "orders.routes[0].match: sets more than one of path, pathPrefix and pathRegex"
                + " (expected: at most one)"),
        c(
            "path prefix without slash",
            b -> b.route(Route.of(RouteMatch.pathPrefix("orders"), Destination.all())),
            "orders.routes[0].match.pathPrefix: must start with '/', got 'orders'"),
        c(
            "lower-case method",
            b -> b.route(Route.of(RouteMatch.ANY.withMethods("get"), Destination.all())),
            "orders.routes[0].match.methods[0]: not an upper-case HTTP method, got 'get'"),
        c(
            "upper-case header name",
            b -> b.route(Route.of(RouteMatch.header("X-Canary", "true"), Destination.all())),
            "orders.routes[0].match.headers: header name must be a lower-case token, got"
                + " 'X-Canary'"),
        c(
            "invalid service name",
            b -> b.name("Orders_Service"),
            "service: invalid service name 'Orders_Service' (expected: lower-case DNS labels such"
                + " as orders or orders.shop)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPolicies")
  void rejectsWithExactMessage(Case c) {
    ServicePolicy.Builder b = valid();
    c.breakIt().accept(b);

    PolicyValidationException e = catchThrowableOfType(PolicyValidationException.class, b::build);

    assertThat(e).as(c.name()).isNotNull();
    assertThat(e.problems()).map(PolicyProblem::toString).containsExactlyElementsOf(c.expected());
    assertThat(e.getMessage())
        .isEqualTo("invalid policy (1 problem):\n  " + String.join("\n  ", c.expected()));
  }

  @Test
  void everyCaseIsDistinct() {
    assertThat(invalidPolicies().map(Case::expected))
        .doesNotHaveDuplicates()
        .hasSizeGreaterThan(15);
  }

  @Test
  void reportsAllProblemsOfOnePolicyTogether() {
    ServicePolicy.Builder b =
        ServicePolicy.builder("orders")
            .tls(TlsMode.STRICT)
            .timeout(Duration.ofSeconds(-1))
            .loadBalancer(LbAlgorithm.RING_HASH)
            .retry(
                retry()
                    .maxAttempts(0)
                    .retryOn("503", "bogus")
                    .budget(RetryBudgetPolicy.of(2.0, 10))
                    .build())
            .circuitBreaker(breaker().window(5).minimumCalls(6).build())
            .outlierDetection(
                outlier()
                    .baseEjectionTime(Duration.ofSeconds(10))
                    .maxEjectionTime(Duration.ofSeconds(1))
                    .build())
            .endpoint(EndpointSpec.of("10.0.0.1:80"))
            .endpoint(EndpointSpec.of("10.0.0.1:80"))
            .route(Route.of(RouteMatch.ANY, Destination.subset(Map.of("version", "v9"), 0)));

    PolicyValidationException e = catchThrowableOfType(PolicyValidationException.class, b::build);

    assertThat(e.problems())
        .map(PolicyProblem::path)
        .containsExactly(
            "orders.identities",
            "orders.timeout",
            "orders.loadBalancer.hashHeader",
            "orders.retry.maxAttempts",
            "orders.retry.retryOn[1]",
            "orders.retry.budget.ratio",
            "orders.circuitBreaker.minimumCalls",
            "orders.outlierDetection.maxEjectionTime",
            "orders.endpoints[1].address",
            "orders.routes[0].to");
    assertThat(e.getMessage())
        .startsWith("invalid policy (10 problems):\n  orders.identities: must name")
        .contains("\n  orders.retry.budget.ratio: must be in [0, 1], got 2.0\n");
  }

  @Test
  void meshPolicyRejectsAServiceKeyedUnderAnotherName() {
    ServicePolicy orders = valid().build();

    assertThatThrownBy(() -> new MeshPolicy("v7", Map.of("payments", orders)))
        .isInstanceOf(PolicyValidationException.class)
        .hasMessage(
            "invalid policy (1 problem):\n  payments: is keyed under 'payments' but is named"
                + " 'orders'");
  }

  @Test
  void meshPolicyReportsBlankVersionAndKeyMismatchTogether() {
    ServicePolicy orders = valid().build();

    PolicyValidationException e =
        catchThrowableOfType(
            PolicyValidationException.class, () -> new MeshPolicy(" ", Map.of("payments", orders)));

    assertThat(e.problems())
        .map(PolicyProblem::toString)
        .containsExactly(
            "version: must not be blank (expected: a version string)",
            "payments: is keyed under 'payments' but is named 'orders'");
  }

  @Test
  void defaultsAreValidAndMatchTheIndustrys() {
    ServicePolicy p = ServicePolicy.builder("orders").build();

    assertThat(p.retry().backoff())
        .isEqualTo(BackoffPolicy.of(Duration.ofMillis(25), Duration.ofMillis(250)));
    assertThat(p.retry().budget())
        .isEqualTo(new RetryBudgetPolicy(0.2, 10, Duration.ofSeconds(10)));
    assertThat(p.outlierDetection().consecutiveFailures()).isEqualTo(5);
    assertThat(p.outlierDetection().baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.outlierDetection().maxEjectionPercent()).isBetween(10, 50);
  }
}
