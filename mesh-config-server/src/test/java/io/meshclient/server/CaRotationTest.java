package io.meshclient.server;

import static io.meshclient.server.CaServerFixture.ORDERS;
import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.meshclient.server.CaServerFixture.Stream;
import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.ca.RotationStage;
import io.meshclient.server.cli.MainTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root rotation on a running server: every stage reaches every open stream as a new version, and
 * certificates from before and after activation both verify against the overlap bundle.
 */
class CaRotationTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;
  private ConfigServer server;
  private ManagedChannel channel;
  private Path caDir;

  @BeforeEach
  void start() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), CaServerFixture.tokens("2099-01-01T00:00:00Z"));
    caDir = tmp.resolve("ca");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(caDir).build();
    server = Fixture.warm(Fixture.server(policies).certificateAuthority(ca).tokens(tokens).build().start());
    channel = CaServerFixture.channel(server);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private X509Certificate issue() throws Exception {
    return CaTesting.certificate(CaServerFixture.sign(channel, "orders-token", csr(p256(), ORDERS), 0)
        .getCertificateChain(0).toByteArray());
  }

  @Test
  void eachStageIsPushedToOpenStreamsAndCertificatesFromBothRootsVerifyDuringTheOverlap() throws Exception {
    CertificateAuthority ca = server.certificateAuthority();
    Stream a = new Stream(channel, "a");
    Stream b = new Stream(channel, "b");
    await().atMost(WAIT).until(() -> a.responses.size() == 1 && b.responses.size() == 1);
    X509Certificate oldRoot = ca.signingCertificate();
    assertThat(a.lastBundle()).containsExactly(oldRoot);
    assertThat(a.last().getResourcesList()).extracting(r -> r.getName()).containsExactly("orders");
    X509Certificate before = issue();

    // Stage 1: both trusted, the old root still signs.
    ca.prepareRotation();
    await().atMost(WAIT).until(() -> a.responses.size() == 2 && b.responses.size() == 2);
    X509Certificate newRoot = ca.trustBundle().get(1);
    assertThat(a.lastBundle()).containsExactly(oldRoot, newRoot);
    assertThat(b.lastBundle()).containsExactly(oldRoot, newRoot);
    assertThat(a.last().getVersionInfo()).isNotEqualTo(a.responses.get(0).getVersionInfo());
    assertThat(issue().getIssuerX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());

    // Stage 2: the new root signs; both still trusted (the signing root first).
    ca.activateRotation();
    await().atMost(WAIT).until(() -> a.responses.size() == 3 && b.responses.size() == 3);
    List<X509Certificate> overlap = a.lastBundle();
    assertThat(overlap).containsExactly(newRoot, oldRoot);
    X509Certificate after = issue();
    assertThat(after.getIssuerX500Principal()).isEqualTo(newRoot.getSubjectX500Principal());
    CaTesting.verify(before, overlap, Instant.now());
    CaTesting.verify(after, overlap, Instant.now());

    // Stage 3: the old root is gone; what it signed no longer verifies.
    ca.retireRotation();
    await().atMost(WAIT).until(() -> a.responses.size() == 4 && b.responses.size() == 4);
    assertThat(b.lastBundle()).containsExactly(newRoot);
    assertThat(CaTesting.chains(after, b.lastBundle())).isTrue();
    assertThat(CaTesting.chains(before, b.lastBundle())).isFalse();
    // The policy rode along unchanged in every push.
    assertThat(a.responses).allSatisfy(r -> assertThat(r.getResources(0).getPolicy().getTimeout().getSeconds()).isEqualTo(2));
    assertThat(server.caStatus().issued()).isEqualTo(3);
  }

  @Test
  void stepsTakenWithTheCliOnTheStateDirectoryReachTheRunningServer() throws Exception {
    Stream a = new Stream(channel, "a");
    await().atMost(WAIT).until(() -> a.responses.size() == 1);
    X509Certificate oldRoot = a.lastBundle().get(0);

    MainTest.Run prepare = MainTest.run("ca", "prepare", "--ca-dir", caDir.toString());
    assertThat(prepare.code()).as(prepare.err()).isZero();
    assertThat(prepare.out()).contains("prepared").contains("stage PREPARED");
    await().atMost(WAIT).until(() -> a.responses.size() == 2);
    assertThat(a.lastBundle()).hasSize(2).first().isEqualTo(oldRoot);
    assertThat(server.certificateAuthority().stage()).isEqualTo(RotationStage.PREPARED);

    MainTest.Run early = MainTest.run("ca", "retire", "--ca-dir", caDir.toString());
    assertThat(early.code()).isEqualTo(1);
    assertThat(early.err()).contains("ca retire: cannot retire: no rotation is activated (stage PREPARED");

    assertThat(MainTest.run("ca", "activate", "--ca-dir", caDir.toString()).code()).isZero();
    await().atMost(WAIT).until(() -> a.responses.size() == 3);
    assertThat(a.lastBundle()).hasSize(2).last().isEqualTo(oldRoot);
    assertThat(issue().getIssuerX500Principal()).isNotEqualTo(oldRoot.getSubjectX500Principal());

    assertThat(MainTest.run("ca", "retire", "--ca-dir", caDir.toString()).code()).isZero();
    await().atMost(WAIT).until(() -> a.responses.size() == 4);
    assertThat(a.lastBundle()).hasSize(1).doesNotContain(oldRoot);
    assertThat(server.caStatus().stage()).isEqualTo(RotationStage.STABLE);
    assertThat(Files.readString(caDir.resolve("bundle.pem"))).isEqualTo(
        io.meshclient.server.ca.internal.Pem.certificates(a.lastBundle()));
  }
}
