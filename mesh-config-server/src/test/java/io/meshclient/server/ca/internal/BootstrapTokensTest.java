package io.meshclient.server.ca.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BootstrapTokensTest {

  private static final String TD = "meshclient.local";

  @Test
  void hashedAndPlainEntriesFindTheirIdentityAndNothingElse() {
    String hash = HexFormat.of().formatHex(BootstrapTokens.sha256("orders-secret"));
    BootstrapTokens.Parsed p = BootstrapTokens.parse("tokens.yaml", """
        - namespace: shop
          service: orders
          sha256: %s
          expires: 2030-01-01T00:00:00Z
        - {namespace: shop, service: payments, token: "payments-secret"}
        """.formatted(hash.toUpperCase()), TD);
    assertThat(p.problems()).isEmpty();
    BootstrapTokens tokens = new BootstrapTokens(p.entries());
    assertThat(tokens.find("orders-secret").id()).hasToString("spiffe://meshclient.local/ns/shop/sa/orders");
    assertThat(tokens.find("orders-secret").expires()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
    assertThat(tokens.find("payments-secret").id()).hasToString("spiffe://meshclient.local/ns/shop/sa/payments");
    assertThat(tokens.find("payments-secret").expires()).isNull();
    assertThat(tokens.find("orders-secreT")).isNull();
    assertThat(tokens.find("")).isNull();
    assertThat(tokens.find("orders-secret").toString()).doesNotContain("orders-secret");
  }

  @Test
  void everyProblemIsListedWithFileLineAndColumnAndTheFileIsRejectedAsAWhole() {
    BootstrapTokens.Parsed p = BootstrapTokens.parse("t.yaml", """
        - {namespace: shop, service: orders, token: a}
        - {namespace: shop, service: orders, colour: blue, token: b}
        - {namespace: shop, token: c}
        - {namespace: shop, service: orders, sha256: abc}
        - {namespace: shop, service: orders, token: d, sha256: %s}
        - {namespace: shop, service: orders, token: e, expires: tomorrow}
        - {namespace: shop, service: orders, token: a}
        - {namespace: "sh op", service: orders, token: f}
        """.formatted("0".repeat(64)), TD);
    assertThat(p.entries()).isEmpty();
    assertThat(p.problems()).containsExactly(
        "t.yaml:2:38: unknown key 'colour' (expected one of: namespace, service, sha256, token, expires)",
        "t.yaml:3:3: service: missing (expected: the service the token grants)",
        "t.yaml:4:46: sha256: not 64 hex digits (3 characters) (expected: the output of `meshclient-server token`"
            + " or `printf %s TOKEN | sha256sum`)",
        "t.yaml:5:3: both sha256 and token (expected: one of them; sha256, the hex SHA-256 of the token, keeps the"
            + " secret out of this file)",
        "t.yaml:6:57: expires: not an instant, got 'tomorrow' (expected: ISO-8601 UTC, e.g. 2026-12-31T00:00:00Z)",
        "t.yaml:7:3: the same token as line 1 (expected: one token per entry)",
        "t.yaml:8:15: invalid SPIFFE path '/ns/sh op/sa/orders' (expected /segment[/segment...], e.g. /ns/shop/sa/orders)");
  }

  @Test
  void syntaxErrorsAndWrongShapesAreReportedAndAnEmptyFileHasNoTokens() {
    assertThat(BootstrapTokens.parse("t.yaml", "- {namespace: shop\n", TD).problems())
        .singleElement().asString().startsWith("t.yaml:2:1: not YAML:");
    assertThat(BootstrapTokens.parse("t.yaml", "namespace: shop\n", TD).problems())
        .containsExactly("t.yaml:1:1: expected a list of tokens (- {namespace: shop, service: orders, sha256: <hex>})");
    assertThat(BootstrapTokens.parse("t.yaml", "", TD)).satisfies(p -> {
      assertThat(p.problems()).isEmpty();
      assertThat(p.entries()).isEmpty();
    });
  }
}
