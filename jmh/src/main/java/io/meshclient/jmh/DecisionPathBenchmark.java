package io.meshclient.jmh;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.decorators.Decorators;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.meshclient.Mesh;
import io.meshclient.MeshCall;
import io.meshclient.RequestReader;
import io.meshclient.RetryDecision;
import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's per-request decision path (route → pick → admit → record of a successful request)
 * per algorithm, beside what a user would write by hand with resilience4j (CircuitBreaker + Retry
 * {@code Decorators} around a trivial supplier). Run with {@code -prof gc}; add {@code
 * -jvmArgsAppend -XX:-DoEscapeAnalysis} to see what the bytecode really allocates.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionPathBenchmark {

  /** A request as an adapter would hold it; read through {@link #READER} without copying. */
  public record Request(String method, String path, String userId, String canary) {}

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
          switch (name) {
            case "x-user-id":
              return r.userId();
            case "x-canary":
              return r.canary();
            default:
              return null;
          }
        }
      };

  /** The mesh, shared by all benchmark threads. */
  @State(Scope.Benchmark)
  public static class MeshState {
    @Param({"ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "LEAST_REQUEST", "P2C_EWMA", "RING_HASH"})
    public LbAlgorithm algorithm;

    Mesh mesh;

    @Setup(Level.Trial)
    public void setUp() {
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
      mesh = Mesh.builder().localZone("a").build();
      mesh.update(MeshPolicy.builder().version("bench").service(b.build()).build());
    }
  }

  /** Each thread reuses one call object, as an adapter does per thread or per connection. */
  @State(Scope.Thread)
  public static class CallState {
    MeshCall call;
    final Request request = new Request("GET", "/orders/42", "user-1234", null);

    @Setup(Level.Trial)
    public void setUp(MeshState mesh) {
      call = mesh.mesh.service("orders").newCall();
    }
  }

  @Benchmark
  public RetryDecision decision(CallState s) {
    MeshCall call = s.call;
    call.start(s.request, READER);
    int attempt = call.startAttempt();
    RetryDecision d = call.onResponse(attempt, 200);
    call.finish();
    return d;
  }

  @Benchmark
  @Threads(2)
  public RetryDecision decision2Threads(CallState s) {
    return decision(s);
  }

  /** The hand-written peer: resilience4j CircuitBreaker + Retry around a trivial supplier. */
  @State(Scope.Benchmark)
  public static class Resilience4jState {
    Supplier<String> decorated;

    @Setup(Level.Trial)
    public void setUp() {
      CircuitBreaker cb =
          CircuitBreaker.of(
              "orders",
              CircuitBreakerConfig.custom()
                  .failureRateThreshold(50)
                  .slidingWindowSize(100)
                  .minimumNumberOfCalls(20)
                  .waitDurationInOpenState(Duration.ofSeconds(30))
                  .build());
      Retry retry =
          Retry.of(
              "orders",
              RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(25)).build());
      decorated =
          Decorators.ofSupplier(() -> "ok").withCircuitBreaker(cb).withRetry(retry).decorate();
    }
  }

  @Benchmark
  public String resilience4jCircuitBreakerAndRetry(Resilience4jState s) {
    return s.decorated.get();
  }

  @Benchmark
  @Threads(2)
  public String resilience4jCircuitBreakerAndRetry2Threads(Resilience4jState s) {
    return s.decorated.get();
  }
}
