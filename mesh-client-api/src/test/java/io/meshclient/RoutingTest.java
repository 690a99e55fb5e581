package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Route matching: first match wins; path, prefix, regex, methods and headers; subsets. */
class RoutingTest {

  private final Mesh mesh =
      Mesh.builder().ticker(new FakeTicker()).random(RandomSource.seeded(1)).build();
  private MeshCall call;

  @BeforeEach
  void routes() {
    Map<String, String> v1 = Map.of("version", "v1");
    Map<String, String> v2 = Map.of("version", "v2");
    mesh.update(
        MeshPolicy.builder()
            .version("v1")
            .service(
                ServicePolicy.builder("orders")
                    .endpoints(
                        List.of(
                            EndpointSpec.of("10.0.0.1:80", v1), EndpointSpec.of("10.0.0.2:80", v2)))
                    .route(
                        Route.of(RouteMatch.header("x-canary", "true"), Destination.subset(v2, 1))
                            .named("canary"))
                    .route(
                        Route.of(RouteMatch.path("/health"), Destination.subset(v1, 1))
                            .named("health"))
                    .route(
                        Route.of(
                            RouteMatch.pathRegex("/orders/[0-9]+").withMethods("DELETE"),
                            Destination.subset(v2, 1)))
                    .route(
                        Route.of(RouteMatch.pathPrefix("/shop.Orders/"), Destination.subset(v2, 1)))
                    .route(Route.of(RouteMatch.pathPrefix("/orders"), Destination.subset(v1, 1)))
                    .build())
            .build());
    call = mesh.service("orders").newCall();
  }

  /** The route name and endpoint version a request goes to, or the rejection. */
  private String route(TestRequest request) {
    if (!call.start(request, TestRequest.READER)) {
      return call.rejection().name();
    }
    try {
      int a = call.startAttempt();
      return call.routeName() + "->" + call.endpoint(a).labels().get("version");
    } finally {
      call.finish();
    }
  }

  @Test
  void firstMatchingRouteWins() {
    assertThat(route(TestRequest.get("/health").header("x-canary", "true")))
        .isEqualTo("canary->v2");
    assertThat(route(TestRequest.get("/health"))).isEqualTo("health->v1");
  }

  @Test
  void exactPathDoesNotMatchLongerPaths() {
    assertThat(route(TestRequest.get("/healthz"))).isEqualTo("NO_ROUTE");
  }

  @Test
  void regexMustMatchTheWholePathAndMethodsAreChecked() {
    assertThat(route(new TestRequest("DELETE", "/orders/42", Map.of(), false)))
        .isEqualTo("routes[2]->v2");
    assertThat(route(new TestRequest("DELETE", "/orders/42/items", Map.of(), false)))
        .isEqualTo("routes[4]->v1");
    assertThat(route(TestRequest.get("/orders/42"))).isEqualTo("routes[4]->v1");
  }

  @Test
  void grpcMethodsRouteOnTheirPath() {
    assertThat(route(TestRequest.post("/shop.Orders/Create"))).isEqualTo("routes[3]->v2");
  }

  @Test
  void headerValuesMustMatchExactly() {
    assertThat(route(TestRequest.get("/orders").header("x-canary", "TRUE")))
        .isEqualTo("routes[4]->v1");
  }

  @Test
  void aRequestMatchingNothingIsRejected() {
    assertThat(route(TestRequest.get("/admin"))).isEqualTo("NO_ROUTE");
  }

  @Test
  void regexMatchingIsSafeFromManyThreads() throws Exception {
    // the compiled route reuses one Matcher per thread
    Thread[] threads = new Thread[4];
    AtomicInteger wrong = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    for (int t = 0; t < threads.length; t++) {
      int id = t;
      threads[t] =
          new Thread(
              () -> {
                MeshCall c = mesh.service("orders").newCall();
                try {
                  go.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                for (int i = 0; i < 20_000; i++) {
                  boolean byId = (i + id) % 2 == 0;
                  TestRequest r =
                      new TestRequest(
                          "DELETE", byId ? "/orders/" + i : "/orders/x" + i, Map.of(), false);
                  c.start(r, TestRequest.READER);
                  if (c.routeName().equals("routes[2]") != byId) {
                    wrong.incrementAndGet();
                  }
                  c.finish();
                }
              });
      threads[t].start();
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(wrong.get()).isZero();
  }
}
