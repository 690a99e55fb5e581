package io.meshclient.server;

import static io.meshclient.server.CaServerFixture.ORDERS;
import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.tls.SpiffeId;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config port over TLS: a certificate from the server's own CA, trusted through bundle.pem, renewed on rotation. */
class ConfigPortTlsTest {

  @TempDir Path tmp;

  private static ManagedChannel tlsChannel(ConfigServer server, byte[] bundlePem) throws Exception {
    ChannelCredentials creds = TlsChannelCredentials.newBuilder().trustManager(new ByteArrayInputStream(bundlePem)).build();
    return Grpc.newChannelBuilder("127.0.0.1:" + server.port(), creds).build();
  }

  @Test
  void clientsBootstrapTrustFromBundlePemAndSignOverTlsAcrossARotation() throws Exception {
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), CaServerFixture.tokens("2099-01-01T00:00:00Z"));
    Path caDir = tmp.resolve("ca");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(caDir).build();
    try (ConfigServer server = Fixture.server(Files.createDirectories(tmp.resolve("p"))).certificateAuthority(ca)
        .tokens(tokens).tls(List.of("localhost", "127.0.0.1")).build().start()) {
      X509Certificate served = server.tlsCertificate();
      assertThat(served.getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))).toList())
          .containsExactlyInAnyOrder("spiffe://meshclient.local/ns/meshclient/sa/config-server", "localhost", "127.0.0.1");
      CaTesting.verify(served, ca.trustBundle(), Instant.now());

      ManagedChannel ch = tlsChannel(server, Files.readAllBytes(caDir.resolve("bundle.pem")));
      try {
        assertThat(CaServerFixture.sign(ch, "orders-token", csr(p256(), ORDERS), 0).getSpiffeId()).isEqualTo(ORDERS);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      // A plaintext client gets nowhere.
      ManagedChannel plain = CaServerFixture.channel(server);
      try {
        assertThatThrownBy(() -> CaServerFixture.sign(plain, "orders-token", csr(p256(), ORDERS), 0))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      } finally {
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      // Through a whole rotation the port's certificate follows the signing root, so a client that
      // trusts only the final bundle still connects.
      ca.prepareRotation();
      ca.activateRotation();
      ca.retireRotation();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
          .until(() -> CaTesting.chains(server.tlsCertificate(), ca.trustBundle()));
      X509Certificate renewed = server.tlsCertificate();
      assertThat(CaTesting.chains(served, ca.trustBundle())).isFalse();
      assertThat(SpiffeId.fromCertificate(renewed)).hasToString("spiffe://meshclient.local/ns/meshclient/sa/config-server");
      ManagedChannel after = tlsChannel(server, Files.readAllBytes(caDir.resolve("bundle.pem")));
      try {
        assertThat(CaServerFixture.sign(after, "payments-token", csr(p256(), null), 0).getSpiffeId())
            .isEqualTo(CaServerFixture.PAYMENTS);
      } finally {
        after.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
