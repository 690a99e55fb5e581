package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.WorkloadIdentity;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The health contributor reads the workload certificate of a MeshCredentials bean. */
class CertificateHealthTest {

  static final Instant NOT_AFTER = Instant.parse("2030-01-01T00:00:00Z");

  /** A self-signed SVID (real X.509, ECDSA P-256) valid until {@link #NOT_AFTER}. */
  static WorkloadIdentity identity() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = g.generateKeyPair();
    X500Name name = new X500Name("O=meshclient-test");
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.ONE,
            Date.from(NOT_AFTER.minus(Duration.ofDays(1))),
            Date.from(NOT_AFTER),
            name,
            keys.getPublic());
    b.addExtension(
        Extension.subjectAlternativeName,
        true,
        new GeneralNames(
            new GeneralName(
                GeneralName.uniformResourceIdentifier, "spiffe://example.org/ns/shop/sa/checkout")));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    return WorkloadIdentity.of(keys.getPrivate(), List.of(cert));
  }

  private static Health health(MeshCredentials credentials, Instant now) {
    Mesh mesh = Mesh.builder().build();
    return new MeshHealthIndicator(
            mesh, MeshConfigStatus.fixed(), credentials, Clock.fixed(now, ZoneOffset.UTC))
        .health();
  }

  @Test
  void validCertificateIsUpWithItsIdentityAndExpiry() throws Exception {
    WorkloadIdentity id = identity();
    MeshCredentials c = MeshCredentials.create(id, List.of(id.leaf()), m -> {});
    Health h = health(c, NOT_AFTER.minus(Duration.ofHours(2)));
    assertThat(h.getStatus()).isEqualTo(Status.UP);
    assertThat(h.getDetails())
        .containsEntry("identity", "spiffe://example.org/ns/shop/sa/checkout")
        .containsEntry("certificateNotAfter", "2030-01-01T00:00:00Z")
        .containsEntry("certificateExpiresIn", "PT2H");
  }

  @Test
  void expiredCertificateIsDown() throws Exception {
    WorkloadIdentity id = identity();
    MeshCredentials c = MeshCredentials.create(id, List.of(id.leaf()), m -> {});
    Health h = health(c, NOT_AFTER.plusSeconds(1));
    assertThat(h.getStatus()).isEqualTo(Status.DOWN);
    assertThat(h.getDetails()).containsEntry("certificateExpiresIn", "expired");
  }

  @Test
  void noCertificateYetIsOutOfService() throws Exception {
    WorkloadIdentity id = identity();
    MeshCredentials c = MeshCredentials.create(null, List.of(id.leaf()), m -> {});
    Health h = health(c, NOT_AFTER.minus(Duration.ofHours(2)));
    assertThat(h.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(h.getDetails()).containsEntry("identity", "no certificate yet");
  }

  @Test
  void theAutoConfiguredIndicatorUsesACredentialsBean() throws Exception {
    WorkloadIdentity id = identity();
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(MeshAutoConfiguration.class, MeshHealthAutoConfiguration.class))
        .withBean(MeshCredentials.class, () -> MeshCredentials.create(id, List.of(id.leaf()), m -> {}))
        .run(
            ctx ->
                assertThat(ctx.getBean(MeshHealthIndicator.class).health().getDetails())
                    .containsEntry("identity", "spiffe://example.org/ns/shop/sa/checkout"));
  }
}
