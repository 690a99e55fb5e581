package io.meshclient.spring.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.server.ConfigServer;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.ResourceAccessException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Spring Boot application (Tomcat on a random port) whose policy comes from a real config
 * server, calling WireMock backends through {@code @MeshClient} interfaces. What the backends
 * received shows the policy's retry and canary split; the actuator JSON is read over HTTP.
 */
@SpringBootTest(
    classes = ShopApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.application.name=checkout",
      "meshclient.config.plaintext=true",
      "meshclient.registration.enabled=true",
      "meshclient.registration.host=127.0.0.1",
      "meshclient.node.labels.version=v1",
      "meshclient.http.groups=catalog",
      "management.endpoints.web.exposure.include=health,mesh",
      "management.endpoint.health.show-details=always"
    })
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopApplicationTest {

  static final WireMockServer good = new WireMockServer(options().dynamicPort());
  static final WireMockServer bad = new WireMockServer(options().dynamicPort());
  static final WireMockServer canary = new WireMockServer(options().dynamicPort());
  static final WireMockServer slow = new WireMockServer(options().dynamicPort());
  static ConfigServer configServer;
  static Path policies;

  @TestConfiguration(proxyBeanMethods = false)
  static class Seeded {
    @Bean
    RandomSource random() {
      return RandomSource.seeded(42);
    }
  }

  @DynamicPropertySource
  static void start(DynamicPropertyRegistry registry) throws Exception {
    for (WireMockServer s : List.of(good, bad, canary, slow)) {
      if (!s.isRunning()) {
        s.start();
      }
    }
    good.stubFor(get(urlPathEqualTo("/orders/1")).willReturn(aResponse().withBody("v1")));
    bad.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    canary.stubFor(get(urlPathEqualTo("/orders/1")).willReturn(aResponse().withBody("v2")));
    slow.stubFor(get("/slow").willReturn(aResponse().withBody("late").withFixedDelay(1500)));

    Path dir = Files.createTempDirectory("mesh-policies");
    policies = dir;
    Files.writeString(
        dir.resolve("orders.yaml"),
        """
        service: orders
        loadBalancer: {algorithm: ROUND_ROBIN}
        retry:
          maxAttempts: 2
          retryOn: [503]
          backoff: {base: 1ms, max: 2ms}
          budget: {ratio: 1.0, minPerSecond: 100}
        circuitBreaker: {failureRateThreshold: 0}
        outlierDetection: {consecutiveFailures: 0}
        routes:
          - match: {headers: {x-canary: "true"}}
            to: [{subset: {version: v2}, weight: 100}]
          - match: {pathPrefix: /}
            to: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]
        endpoints:
          - {address: "127.0.0.1:%d", labels: {version: v1}}
          - {address: "127.0.0.1:%d", labels: {version: v1}}
          - {address: "127.0.0.1:%d", labels: {version: v2}}
        """
            .formatted(good.port(), bad.port(), canary.port()));
    Files.writeString(
        dir.resolve("slow.yaml"),
        """
        service: slow
        retry: {maxAttempts: 1}
        endpoints: [{address: "127.0.0.1:%d"}]
        """
            .formatted(slow.port()));
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        service: catalog
        endpoints: [{address: "127.0.0.1:%d"}]
        """
            .formatted(good.port()));
    Files.writeString(
        dir.resolve("paced.yaml"),
        """
        service: paced
        timeout: 10s
        retry: {maxAttempts: 1}
        endpoints: [{address: "127.0.0.1:%d"}]
        """
            .formatted(slow.port()));
    if (configServer == null) {
      configServer = ConfigServer.builder().policies(dir).port(0).statusPort(-1).build().start();
    }
    registry.add("meshclient.config.server-address", () -> "127.0.0.1:" + configServer.port());
  }

  @AfterAll
  static void stop() {
    for (WireMockServer s : List.of(good, bad, canary, slow)) {
      s.stop();
    }
    if (configServer != null) {
      configServer.close();
    }
  }

  @Autowired Mesh mesh;
  @Autowired OrdersClient orders;
  @Autowired SlowClient slowClient;
  @Autowired PacedClient pacedClient;
  @Autowired CatalogClient catalog;
  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  void awaitPolicy() {
    await().atMost(Duration.ofSeconds(30))
        .until(
            () ->
                mesh.knows("orders")
                    && mesh.knows("slow")
                    && mesh.knows("paced")
                    && mesh.knows("catalog"));
  }

  private static int received(WireMockServer s) {
    return s.findAll(RequestPatternBuilder.allRequests()).size();
  }

  @Test
  void retriesAndCanarySplitShowInWhatTheBackendsReceived() throws Exception {
    for (WireMockServer s : List.of(good, bad, canary)) {
      s.resetRequests();
    }
    long retriesBefore = mesh.service("orders").stats().retries();
    int n = 500;
    int v1 = 0;
    int v2 = 0;
    for (int i = 0; i < n; i++) {
      String body = orders.get("1");
      if (body.equals("v1")) {
        v1++;
      } else {
        v2++;
      }
    }
    // Every call succeeded; 10% went to the canary (seeded randomness, with a tolerance).
    assertThat(v1 + v2).isEqualTo(n);
    assertThat(v2).isBetween(n / 10 - 25, n / 10 + 25);
    assertThat(received(canary)).isEqualTo(v2);
    // Round robin alternates the first attempts of v1 calls between "good" and "bad"; each 503
    // from "bad" was retried once, on "good". So every v1 call ended on "good", and "bad" saw
    // half of them (outlier detection, which would eject it, is off here).
    assertThat(received(good)).isEqualTo(v1);
    assertThat(received(bad)).isBetween(v1 / 2 - 2, v1 / 2 + 2);
    assertThat(mesh.service("orders").stats().retries() - retriesBefore).isEqualTo(received(bad));

    // The header route sends everything to v2.
    canary.resetRequests();
    for (int i = 0; i < 20; i++) {
      assertThat(orders.get("1", "true")).isEqualTo("v2");
    }
    assertThat(received(canary)).isEqualTo(20);
  }

  @Test
  void codeLevelTimeoutAppliesOnlyWhereThePolicySetsNone() {
    assertThatThrownBy(() -> slowClient.slow())
        .isInstanceOf(ResourceAccessException.class)
        .cause()
        .isInstanceOf(InterruptedIOException.class)
        .hasMessage("timeout");
    assertThat(pacedClient.slow()).isEqualTo("late");
  }

  @Test
  void aPlainHttpServiceGroupNamedInThePropertiesIsInTheMesh() {
    long before = mesh.service("catalog").stats().requests();
    assertThat(catalog.get("1")).isEqualTo("v1");
    assertThat(mesh.service("catalog").stats().requests()).isEqualTo(before + 1);
  }

  @Test
  void actuatorMeshEndpointOverHttp() throws Exception {
    orders.get("1");
    JsonNode root = getJson("/actuator/mesh");
    assertThat(root.get("policyVersion").asString()).isEqualTo(mesh.policy().version());
    assertThat(root.at("/config/state").asString()).isEqualTo("CONNECTED");
    assertThat(root.at("/config/source").asString()).isEqualTo("server 127.0.0.1:" + configServer.port());
    JsonNode svc = root.at("/services/orders");
    assertThat(svc.at("/policy/loadBalancer").asString()).isEqualTo("ROUND_ROBIN");
    assertThat(svc.at("/policy/retryMaxAttempts").asInt()).isEqualTo(2);
    assertThat(svc.at("/stats/requests").asLong()).isPositive();
    assertThat(svc.get("endpoints")).hasSize(3);
    JsonNode first = svc.get("endpoints").get(0);
    assertThat(first.get("address").asString()).startsWith("127.0.0.1:");
    assertThat(first.get("breaker").asString()).isEqualTo("DISABLED");
    assertThat(first.get("ejected").asBoolean()).isFalse();
    assertThat(first.has("inFlight")).isTrue();
    assertThat(first.at("/labels/version").asString()).isIn("v1", "v2");

    assertThat(getJson("/actuator/mesh/orders").get("endpoints")).hasSize(3);
    assertThat(httpGet("/actuator/mesh/nope").statusCode()).isEqualTo(404);

    JsonNode health = getJson("/actuator/health/mesh");
    assertThat(health.get("status").asString()).isEqualTo("UP");
    assertThat(health.at("/details/config").asString()).isEqualTo("CONNECTED");
  }

  /** Last: it changes the policy for the rest of the class. */
  @Test
  @Order(Integer.MAX_VALUE)
  void aPolicyPushedByTheConfigServerShiftsTheCanaryLive() throws Exception {
    String before = mesh.policy().version();
    Files.writeString(
        policies.resolve("orders.yaml"),
        """
        service: orders
        routes:
          - match: {pathPrefix: /}
            to: [{subset: {version: v2}, weight: 100}]
        endpoints:
          - {address: "127.0.0.1:%d", labels: {version: v1}}
          - {address: "127.0.0.1:%d", labels: {version: v2}}
        """
            .formatted(good.port(), canary.port()));
    configServer.reloadNow();
    await().atMost(Duration.ofSeconds(20)).until(() -> !mesh.policy().version().equals(before));
    canary.resetRequests();
    good.resetRequests();
    for (int i = 0; i < 20; i++) {
      assertThat(orders.get("1")).isEqualTo("v2");
    }
    assertThat(received(canary)).isEqualTo(20);
    assertThat(received(good)).isZero();
    assertThat(getJson("/actuator/mesh").get("policyVersion").asString())
        .isEqualTo(mesh.policy().version());
  }

  @Test
  void registersItsOwnServerPortWithTheConfigServer() {
    await().atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(configServer.registry().endpoints().get("checkout"))
                    .isNotNull()
                    .extracting(e -> e.getAddress())
                    .containsExactly("127.0.0.1:" + port));
  }

  private HttpResponse<String> httpGet(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> r = httpGet(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }
}
