package io.meshclient.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.Destination;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import java.util.HashMap;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Traffic lands where the policy says: balancers, weighted splits, header routes. */
class LoadBalancingTest {

  static Fleet fleet;
  OkHttpClient client;

  @BeforeAll
  static void startFleet() {
    fleet = new Fleet(3);
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      Fleet.shutdown(client);
    }
    fleet.reset();
  }

  private OkHttpClient client(ServicePolicy policy) {
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(42)).build();
    mesh.update(MeshPolicy.builder().version("1").service(policy).build());
    client = MeshHttp.client(mesh);
    return client;
  }

  private static Map<String, Integer> spread(OkHttpClient client, int n, String header)
      throws Exception {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Request.Builder b = new Request.Builder().url("http://orders/items/" + i);
      if (header != null) {
        b.header("x-canary", header);
      }
      try (Response r = client.newCall(b.build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        seen.merge(r.body().string(), 1, Integer::sum);
      }
    }
    return seen;
  }

  @Test
  void roundRobinSpreadsEvenly() throws Exception {
    OkHttpClient c =
        client(
            ServicePolicy.builder("orders")
                .loadBalancer(LbAlgorithm.ROUND_ROBIN)
                .endpoint(fleet.endpoint(0))
                .endpoint(fleet.endpoint(1))
                .endpoint(fleet.endpoint(2))
                .build());
    Map<String, Integer> seen = spread(c, 300, null);
    assertThat(seen).containsOnlyKeys("s0", "s1", "s2");
    seen.values().forEach(count -> assertThat(count).isEqualTo(100));
  }

  @Test
  void weightedRoundRobinFollowsEndpointWeights() throws Exception {
    OkHttpClient c =
        client(
            ServicePolicy.builder("orders")
                .loadBalancer(LbAlgorithm.WEIGHTED_ROUND_ROBIN)
                .endpoint(fleet.endpoint(0).withWeight(1))
                .endpoint(fleet.endpoint(1).withWeight(2))
                .endpoint(fleet.endpoint(2).withWeight(3))
                .build());
    Map<String, Integer> seen = spread(c, 600, null);
    assertThat(seen.get("s0")).isCloseTo(100, within(5));
    assertThat(seen.get("s1")).isCloseTo(200, within(5));
    assertThat(seen.get("s2")).isCloseTo(300, within(5));
  }

  @Test
  void peakEwmaLearnsFromResponseLatencyAndAvoidsTheSlowInstance() throws Exception {
    // 250 ms is far beyond what a loaded CI machine adds to a loopback answer, so the result does
    // not depend on the machine's speed; the engine's own P2C tests use a fake clock.
    fleet.get(0).stubFor(
        com.github.tomakehurst.wiremock.client.WireMock.any(
                com.github.tomakehurst.wiremock.client.WireMock.anyUrl())
            .willReturn(com.github.tomakehurst.wiremock.client.WireMock.ok("s0").withFixedDelay(250)));
    OkHttpClient c =
        client(
            ServicePolicy.builder("orders")
                .loadBalancer(LbAlgorithm.P2C_EWMA)
                .endpoint(fleet.endpoint(0))
                .endpoint(fleet.endpoint(1))
                .endpoint(fleet.endpoint(2))
                .build());
    Map<String, Integer> seen = spread(c, 200, null);
    // Latencies measured by the adapter feed the engine: the slow instance is picked only while
    // it is unknown; once measured, every pairing prefers a fast one (its estimate needs tens of
    // seconds to decay below theirs).
    assertThat(seen.getOrDefault("s0", 0)).isLessThan(10);
    assertThat(seen.get("s1") + seen.get("s2")).isGreaterThan(190);
  }

  @Test
  void ringHashKeepsAKeyOnOneEndpoint() throws Exception {
    OkHttpClient c =
        client(
            ServicePolicy.builder("orders")
                .loadBalancer(
                    LoadBalancerPolicy.builder()
                        .algorithm(LbAlgorithm.RING_HASH)
                        .hashHeader("x-user")
                        .build())
                .endpoint(fleet.endpoint(0))
                .endpoint(fleet.endpoint(1))
                .endpoint(fleet.endpoint(2))
                .build());
    Map<String, String> owner = new HashMap<>();
    for (int round = 0; round < 3; round++) {
      for (int user = 0; user < 30; user++) {
        Request req =
            new Request.Builder().url("http://orders/cart").header("x-user", "u" + user).build();
        try (Response r = c.newCall(req).execute()) {
          String served = r.body().string();
          String first = owner.putIfAbsent("u" + user, served);
          assertThat(first == null ? served : first).isEqualTo(served);
        }
      }
    }
    assertThat(owner.values()).contains("s0", "s1", "s2"); // 30 keys spread over all three
  }

  @Test
  void weightedCanarySplitAndHeaderRouteLandWhereThePolicySays() throws Exception {
    OkHttpClient c =
        client(
            ServicePolicy.builder("orders")
                .endpoint(fleet.endpoint(0, Map.of("version", "v1")))
                .endpoint(fleet.endpoint(1, Map.of("version", "v1")))
                .endpoint(fleet.endpoint(2, Map.of("version", "v2")))
                .route(
                    Route.of(
                            RouteMatch.header("x-canary", "true"),
                            Destination.subset(Map.of("version", "v2"), 100))
                        .named("canary-header"))
                .route(
                    Route.of(
                            RouteMatch.pathPrefix("/"),
                            Destination.subset(Map.of("version", "v1"), 90),
                            Destination.subset(Map.of("version", "v2"), 10))
                        .named("split"))
                .build());

    Map<String, Integer> split = spread(c, 1000, null);
    int v2 = split.getOrDefault("s2", 0);
    // 10% ± 3 points over 1000 requests (binomial sd ≈ 9.5).
    assertThat(v2).isBetween(70, 130);
    assertThat(split.get("s0") + split.get("s1")).isEqualTo(1000 - v2);
    assertThat(split.get("s0")).isCloseTo(split.get("s1"), within(20)); // v1 pool is round robin

    Map<String, Integer> canary = spread(c, 50, "true");
    assertThat(canary).containsOnlyKeys("s2");
  }
}
