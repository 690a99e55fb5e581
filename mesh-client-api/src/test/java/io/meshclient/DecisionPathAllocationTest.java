package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The steady-state path of a successful request (route, pick, admit, record, finish) allocates
 * nothing, for every algorithm. Measured with the JVM's per-thread allocation counter after
 * warm-up; JMH ({@code DecisionPathBenchmark}, {@code -prof gc}, also with escape analysis off)
 * shows the same figure.
 */
class DecisionPathAllocationTest {

  record Request(String method, String path, String userId, String canary) {}

  static final RequestReader<Request> READER =
      new RequestReader<>() {
        @Override
        public String method(Request r) {
          return r.method();
        }

        @Override
        public String path(Request r) {
          return r.path();
        }

        @Override
        public String header(Request r, String name) {
          return switch (name) {
            case "x-user-id" -> r.userId();
            case "x-canary" -> r.canary();
            default -> null;
          };
        }
      };

  private static final int WARMUP = 50_000;
  private static final int MEASURED = 20_000;

  @ParameterizedTest
  @EnumSource(LbAlgorithm.class)
  void successfulRequestAllocatesNothing(LbAlgorithm algorithm) {
    ServicePolicy.Builder b =
        ServicePolicy.builder("orders")
            .timeout(Duration.ofSeconds(2))
            .loadBalancer(
                LoadBalancerPolicy.builder()
                    .algorithm(algorithm)
                    .hashHeader(algorithm == LbAlgorithm.RING_HASH ? "x-user-id" : null)
                    .build())
            .route(
                Route.of(
                    RouteMatch.header("x-canary", "true"),
                    Destination.subset(Map.of("version", "v2"), 100)))
            .route(
                Route.of(
                    RouteMatch.pathRegex("/admin/.*"),
                    Destination.subset(Map.of("version", "v1"), 100)))
            .route(
                Route.of(
                    RouteMatch.pathPrefix("/orders"),
                    Destination.subset(Map.of("version", "v1"), 90),
                    Destination.subset(Map.of("version", "v2"), 10)));
    for (int i = 0; i < 8; i++) {
      b.endpoint(
          new EndpointSpec(
              "10.0.0." + (i + 1) + ":8080",
              i % 2 == 0 ? "a" : "b",
              1 + i % 3,
              Map.of("version", i < 6 ? "v1" : "v2")));
    }
    Mesh mesh = Mesh.builder().localZone("a").build();
    mesh.update(MeshPolicy.builder().version("1").service(b.build()).build());
    MeshCall call = mesh.service("orders").newCall();
    Request request = new Request("GET", "/orders/42", "user-1234", null);

    run(call, request, WARMUP);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long baselineStart = threads.getThreadAllocatedBytes(id);
    long baseline = threads.getThreadAllocatedBytes(id) - baselineStart;
    long before = threads.getThreadAllocatedBytes(id);
    int dones = run(call, request, MEASURED);
    long allocated = threads.getThreadAllocatedBytes(id) - before - baseline;

    assertThat(dones).isEqualTo(MEASURED);
    assertThat((double) allocated / MEASURED)
        .as("bytes per request with %s (%d bytes over %d requests)", algorithm, allocated, MEASURED)
        .isLessThan(1.0);
  }

  private static int run(MeshCall call, Request request, int n) {
    int dones = 0;
    for (int i = 0; i < n; i++) {
      if (!call.start(request, READER)) {
        throw new AssertionError("rejected: " + call.rejection());
      }
      int attempt = call.startAttempt();
      if (call.onResponse(attempt, 200) == RetryDecision.DONE) {
        dones++;
      }
      call.finish();
    }
    return dones;
  }
}
