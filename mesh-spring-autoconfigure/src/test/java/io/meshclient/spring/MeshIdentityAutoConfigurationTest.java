package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.config.CertificateRenewer;
import io.meshclient.spring.internal.ConfigServerChannel;
import io.meshclient.spring.internal.InvalidMeshPropertiesException;
import io.meshclient.spring.internal.WorkloadIdentityException;
import io.meshclient.spring.internal.WorkloadIdentityFailureAnalyzer;
import io.meshclient.spring.mtls.CaServer;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.WorkloadIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Workload identity against a real config server with a CA (TLS on loopback, tokens file): the
 * certificate at start-up, renewal, the trust bundle streamed into the credentials, what the
 * endpoint and meters show, and every start-up error.
 */
class MeshIdentityAutoConfigurationTest {

  @TempDir Path dir;
  private CaServer ca;

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MeshAutoConfiguration.class,
                  MeshConfigAutoConfiguration.class,
                  MeshIdentityAutoConfiguration.class,
                  MeshEndpointAutoConfiguration.class,
                  MeshMetricsAutoConfiguration.class))
          .withPropertyValues("management.endpoints.web.exposure.include=mesh");

  @BeforeEach
  void startServer() throws Exception {
    ca = new CaServer(dir);
  }

  @AfterEach
  void stopServer() {
    ca.close();
  }

  private static Throwable rootOf(AssertableApplicationContext ctx, Class<?> type) {
    Throwable t = ctx.getStartupFailure();
    while (t != null && !type.isInstance(t)) {
      t = t.getCause();
    }
    assertThat(t).as("a %s in %s", type.getSimpleName(), ctx.getStartupFailure()).isNotNull();
    return t;
  }

  @Test
  void theCertificateIsObtainedAtStartUpOverTlsTrustedThroughTheBundlePem() {
    runner
        .withPropertyValues(ca.properties())
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(CertificateRenewer.class);
              WorkloadIdentity id = ctx.getBean(MeshCredentials.class).identity();
              assertThat(id).isNotNull();
              assertThat(id.id().toString()).isEqualTo(CaServer.CHECKOUT);
              assertThat(ctx.getBean(MeshCredentials.class).trustRoots())
                  .containsExactlyElementsOf(ca.ca.trustBundle());
              assertThat(ctx.getBean(MeshIdentityStatus.class).issued()).isEqualTo(1);

              MeshEndpoint.IdentityDescriptor shown = ctx.getBean(MeshEndpoint.class).mesh().identity();
              assertThat(shown).isNotNull();
              assertThat(shown.spiffeId()).isEqualTo(CaServer.CHECKOUT);
              assertThat(shown.serial()).isEqualTo(id.leaf().getSerialNumber().toString(16));
              assertThat(shown.notAfter()).isEqualTo(id.leaf().getNotAfter().toInstant().toString());
              assertThat(shown.renewals()).isZero();
              assertThat(shown.renewalFailures()).isZero();
              // The server's default lifetime is 24 h.
              assertThat(shown.expiresInSeconds())
                  .isBetween(Duration.ofHours(24).minusMinutes(1).toSeconds(), Duration.ofHours(24).toSeconds());
            });
  }

  @Test
  void theCertificateIsRenewedInTheBackgroundAndMetersShowIt() {
    runner
        .withPropertyValues(ca.properties("meshclient.identity.ttl=6s"))
        .run(
            ctx -> {
              MeshCredentials creds = ctx.getBean(MeshCredentials.class);
              BigInteger first = creds.identity().leaf().getSerialNumber();
              MeterRegistry registry = new SimpleMeterRegistry();
              ctx.getBean(MeshMeterBinder.class).bindTo(registry);
              double expiry =
                  registry.get("meshclient.identity.expiry").tag("spiffe_id", CaServer.CHECKOUT).gauge().value();
              assertThat(expiry).isBetween(0.0, 6.0);
              // Renewed at half the lifetime (about 3 s), long before it expires.
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(() -> ctx.getBean(MeshIdentityStatus.class).renewals() >= 1);
              assertThat(creds.identity().leaf().getSerialNumber()).isNotEqualTo(first);
              assertThat(creds.identity().id().toString()).isEqualTo(CaServer.CHECKOUT);
              assertThat(
                      registry.get("meshclient.identity.renewals").functionCounter().count())
                  .isGreaterThanOrEqualTo(1);
              assertThat(
                      registry.get("meshclient.identity.renewal.failures").functionCounter().count())
                  .isZero();
              assertThat(ctx.getBean(MeshEndpoint.class).mesh().identity().serial())
                  .isEqualTo(creds.identity().leaf().getSerialNumber().toString(16));
            });
  }

  @Test
  void theWatcherFeedsTheStreamedTrustBundleIntoTheCredentials() {
    runner
        .withPropertyValues(ca.properties())
        .run(
            ctx -> {
              MeshCredentials creds = ctx.getBean(MeshCredentials.class);
              assertThat(creds.trustRoots()).hasSize(1);
              ca.ca.prepareRotation(); // the server streams [old, new] to every open stream
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(() -> creds.trustRoots().equals(ca.ca.trustBundle()));
              assertThat(creds.trustRoots()).hasSize(2);
            });
  }

  @Test
  void afterARootRotationTheConfigPortIsReachedThroughTheLiveBundleNotTheStartUpPem() {
    runner
        .withPropertyValues(ca.properties("meshclient.identity.ttl=6s"))
        .run(
            ctx -> {
              MeshCredentials creds = ctx.getBean(MeshCredentials.class);
              MeshIdentityStatus status = ctx.getBean(MeshIdentityStatus.class);
              ca.ca.prepareRotation();
              await().atMost(Duration.ofSeconds(20)).until(() -> creds.trustRoots().size() == 2);
              ca.ca.activateRotation(); // the config port's certificate now comes from the new root
              java.security.cert.X509Certificate newRoot = ca.ca.signingCertificate();
              ca.ca.retireRotation();
              await().atMost(Duration.ofSeconds(20)).until(() -> creds.trustRoots().equals(List.of(newRoot)));
              // The PEM read at start-up holds only the retired root: new connections to the
              // config port trust the live bundle instead (ConfigChannelsTest shows the roots are
              // read at each handshake).
              ConfigServerChannel channel = ctx.getBean(ConfigServerChannel.class);
              assertThat(channel.trustRoots()).containsExactly(newRoot);
              channel.channel().enterIdle();
              long renewals = status.renewals();
              await().atMost(Duration.ofSeconds(20)).until(() -> status.renewals() > renewals);
              assertThat(creds.identity().leaf().getIssuerX500Principal())
                  .isEqualTo(newRoot.getSubjectX500Principal());
              assertThat(status.failures()).isZero();
            });
  }

  @Test
  void aWrongTokenFailsStartUpWithTheServersMessageAndTheAnalyzerSaysWhatToCheck()
      throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong-token"), "not-a-known-token");
    runner
        .withPropertyValues(ca.properties("meshclient.identity.token-file=" + wrong))
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              WorkloadIdentityException e =
                  (WorkloadIdentityException) rootOf(ctx, WorkloadIdentityException.class);
              assertThat(e.statusCode()).isEqualTo("UNAUTHENTICATED");
              assertThat(e)
                  .hasMessageContaining("config server")
                  .hasMessageContaining("UNAUTHENTICATED: unknown bootstrap token")
                  .hasMessageNotContaining("not-a-known-token");
              FailureAnalysis analysis =
                  new WorkloadIdentityFailureAnalyzer().analyze(ctx.getStartupFailure());
              assertThat(analysis.getDescription())
                  .contains("could not obtain this application's workload certificate")
                  .contains("UNAUTHENTICATED: unknown bootstrap token");
              assertThat(analysis.getAction())
                  .contains("Check the bootstrap token (meshclient.identity.token-file=" + wrong + ")");
            });
  }

  @Test
  void theConfigTokenIsTheBootstrapTokenWithoutATokenFile() {
    runner
        .withPropertyValues(
            Arrays.stream(ca.properties())
                .filter(p -> !p.startsWith("meshclient.identity.token-file="))
                .toArray(String[]::new))
        .withPropertyValues("meshclient.config.token=" + CaServer.TOKEN)
        .run(
            ctx ->
                assertThat(ctx.getBean(MeshCredentials.class).identity().id().toString())
                    .isEqualTo(CaServer.CHECKOUT));
  }

  @Test
  void aCertificateOfAnotherTrustDomainStopsStartUp() {
    runner
        .withPropertyValues(ca.properties("meshclient.identity.trust-domain=prod.example.org"))
        .run(
            ctx ->
                assertThat(rootOf(ctx, InvalidMeshPropertiesException.class))
                    .hasMessageContaining(
                        "meshclient.identity.trust-domain: prod.example.org (expected: the trust"
                            + " domain of the certificate the config server issues: it issued "
                            + CaServer.CHECKOUT + ", of example.org)"));
  }

  @Test
  void anUnreachableServerFailsStartUpWithinTheStartTimeout() {
    int port = ca.server.port();
    String[] properties = ca.properties("meshclient.identity.start-timeout=2s");
    ca.close();
    runner
        .withPropertyValues(properties)
        .run(
            ctx -> {
              WorkloadIdentityException e =
                  (WorkloadIdentityException) rootOf(ctx, WorkloadIdentityException.class);
              assertThat(e)
                  .hasMessageContaining("no workload certificate from config server 127.0.0.1:" + port)
                  .hasMessageContaining("within PT2S");
              assertThat(new WorkloadIdentityFailureAnalyzer().analyze(ctx.getStartupFailure()).getAction())
                  .contains("reachable");
            });
  }

  @Test
  void aTrustBundleThatIsNoPemStopsStartUpNamingTheFile() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
    runner
        .withPropertyValues(ca.properties("meshclient.config.trust-bundle=" + garbage))
        .run(
            ctx ->
                assertThat(rootOf(ctx, InvalidMeshPropertiesException.class))
                    .hasMessageContaining("meshclient.config.trust-bundle: " + garbage + " (expected: a PEM file of CA certificates")
                    .hasMessageContaining(garbage.toString()));
  }

  @Test
  void theApplicationsOwnCredentialsReplaceTheRenewer() {
    MeshCredentials own = ca.serverCredentials("checkout");
    runner
        .withPropertyValues(ca.properties())
        .withBean(MeshCredentials.class, () -> own)
        .run(
            ctx -> {
              assertThat(ctx).doesNotHaveBean(CertificateRenewer.class);
              assertThat(ctx.getBean(MeshCredentials.class)).isSameAs(own);
              assertThat(ctx.getBean(MeshEndpoint.class).mesh().identity().spiffeId())
                  .isEqualTo(CaServer.CHECKOUT);
            });
  }

  @Test
  void propertyProblemsAreReportedTogether() throws Exception {
    Path missing = dir.resolve("missing");
    runner
        .withPropertyValues(
            "meshclient.config.server-address=127.0.0.1:7443",
            "meshclient.config.plaintext=true",
            "meshclient.config.trust-bundle=" + missing,
            "meshclient.identity.enabled=true",
            "meshclient.identity.ttl=0s",
            "meshclient.identity.start-timeout=-1s")
        .run(
            ctx ->
                assertThat(rootOf(ctx, InvalidMeshPropertiesException.class))
                    .hasMessageContaining(
                        "meshclient.config.trust-bundle: " + missing + " (expected: not set together"
                            + " with meshclient.config.plaintext=true")
                    .hasMessageContaining(
                        "meshclient.config.trust-bundle: " + missing + " (expected: a readable PEM"
                            + " file of CA certificates (such as the config server's bundle.pem),"
                            + " but nothing is there)")
                    .hasMessageContaining(
                        "meshclient.identity.token-file: (not set, nor meshclient.config.token)"
                            + " (expected: the bootstrap token")
                    .hasMessageContaining("meshclient.identity.ttl: PT0S (expected: at least 1s")
                    .hasMessageContaining(
                        "meshclient.identity.start-timeout: PT-1S (expected: a positive duration"));
  }

  @Test
  void aTokenFileMustExistAndGoesWithIdentity() {
    Path missing = dir.resolve("no-token");
    runner
        .withPropertyValues(
            "meshclient.config.server-address=127.0.0.1:7443",
            "meshclient.identity.token-file=" + missing,
            "meshclient.config.trust-bundle=" + ca.bundle)
        .run(
            ctx ->
                assertThat(rootOf(ctx, InvalidMeshPropertiesException.class))
                    .hasMessageContaining(
                        "meshclient.identity.token-file: " + missing + " (expected: set only"
                            + " together with meshclient.identity.enabled=true)")
                    .hasMessageContaining(
                        "meshclient.identity.token-file: " + missing + " (expected: a readable"
                            + " file holding the bootstrap token, but nothing is there)"));
  }

  @Test
  void withoutIdentityThereIsNoRenewerAndNoCredentials() {
    runner
        .withPropertyValues(
            "meshclient.config.server-address=127.0.0.1:" + ca.server.port(),
            "meshclient.config.trust-bundle=" + ca.bundle)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(CertificateRenewer.class);
              assertThat(ctx).doesNotHaveBean(MeshCredentials.class);
              assertThat(ctx.getBean(MeshEndpoint.class).mesh().identity()).isNull();
            });
  }
}
