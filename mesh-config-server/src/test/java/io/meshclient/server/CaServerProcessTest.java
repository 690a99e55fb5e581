package io.meshclient.server;

import static io.meshclient.server.CaServerFixture.ORDERS;
import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.cli.MainTest;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --ca-dir --tokens --tls} as deployed, in its own JVM: the generated root survives a
 * SIGKILL and restart, clients bootstrap from bundle.pem, and neither the token nor the key reaches
 * the log.
 */
class CaServerProcessTest {

  @TempDir Path tmp;

  private static X509Certificate sign(int port, byte[] bundlePem) throws Exception {
    ChannelCredentials creds = TlsChannelCredentials.newBuilder().trustManager(new ByteArrayInputStream(bundlePem)).build();
    ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + port, creds).build();
    try {
      return CaTesting.certificate(CaServerFixture.sign(ch, "orders-token", csr(p256(), ORDERS), 600)
          .getCertificateChain(0).toByteArray());
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void theGeneratedRootSurvivesSigkillAndRestartAndNoSecretReachesTheLog() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), CaServerFixture.tokens("2099-01-01T00:00:00Z"));
    Path caDir = tmp.resolve("ca");
    Path log = tmp.resolve("server.log");
    List<String> args = List.of("--policies", policies.toString(), "--port", "0", "--status-port", "0",
        "--ca-dir", caDir.toString(), "--tokens", tokens.toString(), "--tls", "--trust-domain", "meshclient.local");
    ServerProcess server = ServerProcess.start(List.of(), args, log);
    try {
      byte[] bundle = Files.readAllBytes(caDir.resolve("bundle.pem"));
      X509Certificate first = sign(server.port, bundle);
      MainTest.Run status = MainTest.run("status", "--server", "127.0.0.1:" + server.statusPort);
      assertThat(status.out()).contains("CA: trust domain meshclient.local").contains("1 issued");

      server.kill();
      server = ServerProcess.start(List.of(), args, log);
      assertThat(Files.readAllBytes(caDir.resolve("bundle.pem"))).isEqualTo(bundle);
      X509Certificate second = sign(server.port, bundle);
      List<X509Certificate> roots = java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bundle)).stream().map(c -> (X509Certificate) c).toList();
      assertThat(roots).hasSize(1);
      CaTesting.verify(first, roots, Instant.now());
      CaTesting.verify(second, roots, Instant.now());
    } finally {
      server.close();
    }

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir))).isEqualTo("rwx------");
    String logText = Files.readString(log);
    assertThat(logText).contains("issued " + ORDERS).doesNotContain("tokens travel unencrypted");
    assertThat(logText).doesNotContain("orders-token").doesNotContain("PRIVATE");
    try (Stream<Path> files = Files.list(caDir)) {
      for (Path key : files.filter(f -> f.toString().endsWith("-key.pem")).toList()) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        String body = Files.readString(key).lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
        assertThat(logText).doesNotContain(body.substring(0, 32));
      }
    }
  }
}
