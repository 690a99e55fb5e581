package io.meshclient.server;

import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.meshclient.config.v1.ServerStatus;
import io.meshclient.server.ca.CaStatus;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.ca.RotationStage;
import io.meshclient.server.cli.MainTest;
import io.meshclient.server.status.StatusHttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file is reloaded when it changes; a broken one keeps the last good tokens. The status page shows the CA. */
class TokenReloadTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;

  private static boolean works(ManagedChannel ch, String token) throws Exception {
    byte[] request = csr(p256(), null);
    try {
      CaServerFixture.sign(ch, token, request, 0);
      return true;
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      return false;
    }
  }

  @Test
  void anEditedTokensFileIsPickedUpAndABrokenOneKeepsTheLastGoodTokens() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path tokensDir = Files.createDirectories(tmp.resolve("tokens"));
    Fixture.write(tokensDir, "tokens.yaml", "- {namespace: shop, service: orders, token: first}\n");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).build();
    try (ConfigServer server = Fixture.server(policies).certificateAuthority(ca).tokens(tokensDir.resolve("tokens.yaml"))
        .build().start()) {
      ManagedChannel ch = CaServerFixture.channel(server);
      try {
        assertThat(works(ch, "first")).isTrue();

        Fixture.write(tokensDir, "tokens.yaml", "- {namespace: shop, service: orders, token: second}\n");
        await().atMost(WAIT).until(() -> works(ch, "second"));
        assertThat(works(ch, "first")).isFalse();

        Fixture.write(tokensDir, "tokens.yaml", "- {namespace: shop, service: orders, token: third}\n"
            + "- {namespace: shop, servce: payments, token: fourth}\n");
        await().atMost(WAIT).until(() -> server.status().getRejectedFilesCount() == 1);
        ServerStatus s = server.status();
        assertThat(s.getRejectedFiles(0).getFile()).isEqualTo(tokensDir.resolve("tokens.yaml").toAbsolutePath().toString());
        assertThat(s.getRejectedFiles(0).getProblemsList()).anySatisfy(p -> assertThat(p)
            .contains("tokens.yaml:2:21: unknown key 'servce'"));
        assertThat(works(ch, "second")).isTrue();
        assertThat(works(ch, "third")).isFalse();

        Fixture.write(tokensDir, "tokens.yaml", "- {namespace: shop, service: orders, token: third}\n");
        await().atMost(WAIT).until(() -> works(ch, "third"));
        assertThat(server.status().getRejectedFilesCount()).isZero();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aBrokenTokensFileAtStartIsAClearError() throws Exception {
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), "- {namespace: shop, token: x}\n");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).build();
    ConfigServer server = Fixture.server(Files.createDirectories(tmp.resolve("p"))).certificateAuthority(ca)
        .tokens(tokens).build();
    assertThatThrownBy(server::start).hasMessageContaining("tokens file rejected: " + tokens.toAbsolutePath()
        + ":1:3: service: missing");
    server.close();
  }

  @Test
  void theStatusPageShowsTheCaButNoKeyMaterial() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), CaServerFixture.tokens("2099-01-01T00:00:00Z"));
    Path caDir = tmp.resolve("ca");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(caDir).trustDomain("example.org").build();
    try (ConfigServer server = Fixture.server(policies).certificateAuthority(ca).tokens(tokens).build().start()) {
      ManagedChannel ch = CaServerFixture.channel(server);
      try {
        CaServerFixture.sign(ch, "payments-token", csr(p256(), null), 0);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      ca.prepareRotation();
      String json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.statusPort() + "/status")).build(), HttpResponse.BodyHandlers.ofString()).body();
      CaStatus shown = StatusHttpServer.caFromJson(json);
      assertThat(shown).isEqualTo(server.caStatus());
      assertThat(shown.stage()).isEqualTo(RotationStage.PREPARED);
      assertThat(shown.issued()).isEqualTo(1);
      assertThat(shown.trustDomain()).isEqualTo("example.org");
      assertThat(shown.roots()).extracting(CaStatus.Root::role).containsExactly("active", "next");
      assertThat(shown.roots().get(0).sha256()).isEqualTo(
          io.meshclient.server.ca.internal.CaRoot.fingerprint(ca.signingCertificate()));
      // The protobuf part still reads as before.
      assertThat(StatusHttpServer.fromJson(json).getPolicyVersion()).matches("\\d+-[0-9a-f]{12}");

      String html = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.statusPort() + "/")).build(), HttpResponse.BodyHandlers.ofString()).body();
      MainTest.Run table = MainTest.run("status", "--server", "127.0.0.1:" + server.statusPort());
      assertThat(table.code()).isZero();
      assertThat(table.out()).contains("CA: trust domain example.org").contains("rotation stage PREPARED")
          .contains(shown.roots().get(1).sha256());
      assertThat(html).contains("rotation stage <b>PREPARED</b>").contains(shown.roots().get(0).serial());

      // Nothing of either key, in any form the files hold it.
      try (var files = Files.list(caDir)) {
        for (Path key : files.filter(f -> f.toString().endsWith("-key.pem")).toList()) {
          String body = Files.readString(key).lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
          for (String page : new String[] {json, html, table.out()}) {
            assertThat(page).doesNotContain(body.substring(0, 32)).doesNotContain(body.substring(40, 72))
                .doesNotContain("PRIVATE");
          }
        }
      }
    }
  }
}
