package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFilesTest {

  @TempDir Path dir;

  private static final String VALID = """
      service: orders
      identities: ["spiffe://example.org/ns/shop/sa/orders"]
      tls: STRICT
      timeout: 2s
      loadBalancer: {algorithm: P2C_EWMA}
      retry:
        maxAttempts: 3
        perTryTimeout: 500ms
        retryOn: [connect-failure, reset, 503, UNAVAILABLE]
        backoff: {base: 25ms, max: 250ms}
        budget: {ratio: 0.2, minPerSecond: 10}
      circuitBreaker: {failureRateThreshold: 50, window: 100, openDuration: 30s, maxConcurrentRequests: 1024}
      outlierDetection: {consecutiveFailures: 5, baseEjectionTime: 30s, maxEjectionPercent: 50}
      routes:
        - match: {headers: {x-canary: "true"}}
          to: [{subset: {version: v2}, weight: 100}]
        - match: {pathPrefix: /}
          to: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]
      endpoints:
        - {address: "10.0.0.7:8080", zone: a, labels: {version: v1}}
        - {address: "10.0.0.8:8080", zone: b, labels: {version: v2}}
      """;

  private Path write(String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  @Test
  void readsEveryFieldOfTheDesignFormatOntoTheSchemaAndTheModel() throws IOException {
    PolicyFiles.Parsed parsed = PolicyFiles.read(write("orders.yaml", VALID));
    assertThat(parsed.problems()).isEmpty();
    ServicePolicy p = PolicyConversion.toModel(parsed.policies().get(0));
    assertThat(p.name()).isEqualTo("orders");
    assertThat(p.tls()).isEqualTo(TlsMode.STRICT);
    assertThat(p.identities()).containsExactly("spiffe://example.org/ns/shop/sa/orders");
    assertThat(p.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.loadBalancer().algorithm()).isEqualTo(LbAlgorithm.P2C_EWMA);
    assertThat(p.loadBalancer().preferLocalZone()).isTrue(); // engine default kept
    assertThat(p.retry().maxAttempts()).isEqualTo(3);
    assertThat(p.retry().perTryTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.retry().retryOn()).containsExactly("connect-failure", "reset", "503", "UNAVAILABLE");
    assertThat(p.retry().backoff().base()).isEqualTo(Duration.ofMillis(25));
    assertThat(p.retry().backoff().max()).isEqualTo(Duration.ofMillis(250));
    assertThat(p.retry().budget().ratio()).isEqualTo(0.2);
    assertThat(p.retry().budget().minPerSecond()).isEqualTo(10);
    assertThat(p.circuitBreaker().openDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.circuitBreaker().minimumCalls()).isEqualTo(20); // default kept
    assertThat(p.outlierDetection().consecutiveFailures()).isEqualTo(5);
    assertThat(p.routes()).hasSize(2);
    assertThat(p.routes().get(0).match().headers()).isEqualTo(Map.of("x-canary", "true"));
    assertThat(p.routes().get(1).match().pathPrefix()).isEqualTo("/");
    assertThat(p.routes().get(1).to().get(0).subset()).isEqualTo(Map.of("version", "v1"));
    assertThat(p.routes().get(1).to().get(0).weight()).isEqualTo(90);
    assertThat(p.endpoints().get(0).address()).isEqualTo("10.0.0.7:8080");
    assertThat(p.endpoints().get(0).zone()).isEqualTo("a");
    assertThat(p.endpoints().get(0).weight()).isEqualTo(1);
  }

  @Test
  void theDesignDocumentsExampleIsRejectedBecauseItRoutesToASubsetNoEndpointHas() throws URISyntaxException {
    // DESIGN.md §2 routes to version v2 but declares only a v1 endpoint: the engine's validator
    // refuses that, and the problem is pointed at the line where the subset is written.
    Path f = Path.of(getClass().getResource("/policies/orders.yaml").toURI());
    PolicyFiles.Parsed parsed = PolicyFiles.read(f);
    assertThat(parsed.problems()).extracting(FileProblem::path)
        .containsExactly("orders.routes[0].to[0].subset", "orders.routes[1].to[1].subset");
    assertThat(parsed.problems().get(0).line()).isEqualTo(17);
    assertThat(parsed.problems().get(0).toString())
        .startsWith(f + ":17:")
        .contains("orders.routes[0].to[0].subset: selects no endpoint");
  }

  @Test
  void syntaxErrorsNameFileLineAndColumn() throws IOException {
    Path f = write("bad.yaml", "service: orders\nretry: {maxAttempts: 3\ntimeout: 2s\n");
    List<FileProblem> problems = PolicyFiles.read(f).problems();
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).line()).isGreaterThan(1);
    assertThat(problems.get(0).toString()).startsWith(f.toString() + ":").contains("not valid YAML");
  }

  @Test
  void everyFieldProblemIsReportedWithPathPositionAndValue() throws IOException {
    Path f = write("orders.yaml", """
        service: orders
        timeout: 2 seconds
        tls: STRICTER
        loadBalancer:
          algoritm: P2C_EWMA
        retry:
          maxAttempts: three
          retryOn: 503
        """);
    List<FileProblem> problems = PolicyFiles.read(f).problems();
    assertThat(problems).extracting(FileProblem::toString).containsExactly(
        f + ":2:10: orders.timeout: not a duration, got '2 seconds' (expected: a number with a unit, e.g. 2s, 500ms, 1m30s)",
        f + ":3:6: orders.tls: unknown value 'STRICTER' (expected one of: DISABLE, PERMISSIVE, STRICT)",
        f + ":5:3: orders.loadBalancer.algoritm: unknown field (expected one of: algorithm, hashHeader, ringSize, ewmaDecay, preferLocalZone)",
        f + ":7:16: orders.retry.maxAttempts: not an integer, got 'three'",
        f + ":8:12: orders.retry.retryOn: must be a list, got '503' (expected: [a, b] or '- item' lines)");
  }

  @Test
  void validationProblemsFromTheModelGetTheFileAndTheLineOfTheField() throws IOException {
    Path f = write("orders.yaml", """
        service: orders
        retry:
          budget:
            ratio: 1.5
        """);
    List<FileProblem> problems = PolicyFiles.read(f).problems();
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).path()).isEqualTo("orders.retry.budget.ratio");
    assertThat(problems.get(0).line()).isEqualTo(4);
    assertThat(problems.get(0).toString()).startsWith(f + ":4:5: orders.retry.budget.ratio: ").contains("1.5");
  }

  @Test
  void aFileMayHoldSeveralServicesAsYamlDocuments() throws IOException {
    Path f = write("all.yaml", "service: a\n---\nservice: b\nloadBalancer: {algorithm: round-robin}\n");
    PolicyFiles.Parsed parsed = PolicyFiles.read(f);
    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.policies()).extracting(io.meshclient.config.v1.ServicePolicy::getService).containsExactly("a", "b");
  }

  @Test
  void aMissingServiceNameAndDuplicateKeysAreReported() throws IOException {
    Path f = write("x.yaml", "timeout: 1s\ntimeout: 2s\n");
    assertThat(PolicyFiles.read(f).problems()).extracting(FileProblem::toString)
        .anySatisfy(s -> assertThat(s).contains("service: is missing"))
        .anySatisfy(s -> assertThat(s).contains("timeout: is set twice"));
  }

  @Test
  void directoryKeepsTheLastGoodVersionOfABadFileAndHashesContent() throws IOException {
    write("a.yaml", "service: a\ntimeout: 1s\n");
    PolicyDirectory d = new PolicyDirectory(dir);
    PolicyDirectory.Snapshot first = d.reload();
    assertThat(first.policies()).containsOnlyKeys("a");
    assertThat(first.changed()).isTrue();

    write("a.yaml", "service: a\ntimeout: -1s\n");
    PolicyDirectory.Snapshot bad = d.reload();
    assertThat(bad.changed()).isFalse();
    assertThat(bad.hash()).isEqualTo(first.hash());
    assertThat(bad.policies().get("a").getTimeout().getSeconds()).isEqualTo(1);
    assertThat(bad.problems()).singleElement().asString().contains("a.timeout: must not be negative");

    write("a.yaml", "# same content, other bytes\nservice: a\ntimeout: 1000ms\n");
    PolicyDirectory.Snapshot same = d.reload();
    assertThat(same.changed()).isFalse();
    assertThat(same.rejected()).isEmpty();

    write("b.yaml", "service: a\n");
    PolicyDirectory.Snapshot dup = d.reload();
    assertThat(dup.problems()).singleElement().asString().contains("b.yaml").contains("is already defined in");
    assertThat(dup.hash()).isEqualTo(first.hash());

    Files.delete(dir.resolve("a.yaml"));
    PolicyDirectory.Snapshot moved = d.reload();
    assertThat(moved.changed()).isTrue();
    assertThat(moved.policies().get("a").hasTimeout()).isFalse();
    assertThat(new PolicyDirectory(dir).reload().hash()).isEqualTo(moved.hash());
  }
}
