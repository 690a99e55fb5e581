package io.meshclient.server.ca;

import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static io.meshclient.server.ca.CaTesting.writePem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.server.ca.CaTesting.MutableClock;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA on its own: where roots come from, what they must be, what it issues, rotation steps. */
class CertificateAuthorityTest {

  private static final SpiffeId ORDERS = SpiffeId.of("meshclient.local", "shop", "orders");

  @TempDir Path tmp;

  @Test
  void aGeneratedRootIsKeptOwnerOnlyAndTheSameRootComesBackOnRestart() throws Exception {
    Path dir = tmp.resolve("ca");
    CertificateAuthority first = CertificateAuthority.builder().stateDirectory(dir).build();
    X509Certificate root = first.signingCertificate();
    assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(((java.security.interfaces.ECPublicKey) root.getPublicKey()).getParams().getCurve().getField()
        .getFieldSize()).isEqualTo(256);
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    List<Path> keys;
    try (Stream<Path> files = Files.list(dir)) {
      keys = files.filter(f -> f.getFileName().toString().endsWith("-key.pem")).toList();
    }
    assertThat(keys).hasSize(1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.get(0)))).isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("bundle.pem"))).contains("BEGIN CERTIFICATE").doesNotContain("PRIVATE");

    CertificateAuthority again = CertificateAuthority.builder().stateDirectory(dir).build();
    assertThat(again.signingCertificate()).isEqualTo(root);
    // What the first issued, the restarted one's bundle still trusts.
    X509Certificate leaf = first.issue(csr(p256(), null), ORDERS, 0).certificate();
    CaTesting.verify(leaf, again.trustBundle(), Instant.now());
  }

  @Test
  void aRootGeneratedIntoAnExistingOpenDirectoryMakesItOwnerOnly() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("made-by-mkdir"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    CertificateAuthority.builder().stateDirectory(dir).build();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
  }

  @Test
  void theOperatorsPemFilesAreLoadedAndSignWorkloadCertificates() throws Exception {
    TestCa operator = new TestCa("operator-root");
    Path cert = writePem(tmp.resolve("ca.pem"), operator.certificate);
    Path key = writePem(tmp.resolve("ca-key.pem"), operator.keys.getPrivate());
    CertificateAuthority ca = CertificateAuthority.builder().files(cert, key).build();
    assertThat(ca.trustBundle()).containsExactly(operator.certificate);
    assertThat(ca.stateDirectory()).isNull();
    X509Certificate leaf = ca.issue(csr(p256(), ORDERS.toString()), ORDERS, 600).certificate();
    CaTesting.verify(leaf, List.of(operator.certificate), Instant.now());
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(operator.certificate.getSubjectX500Principal());
  }

  @Test
  void theOperatorsRootIsImportedIntoAnEmptyStateDirectoryAndAnotherOneIsRefusedThere() throws Exception {
    TestCa operator = new TestCa("imported-root");
    Path cert = writePem(tmp.resolve("ca.pem"), operator.certificate);
    Path key = writePem(tmp.resolve("ca-key.pem"), operator.keys.getPrivate());
    Path dir = tmp.resolve("state");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(dir).files(cert, key).build();
    assertThat(ca.signingCertificate()).isEqualTo(operator.certificate);
    assertThat(CertificateAuthority.builder().stateDirectory(dir).build().signingCertificate()).isEqualTo(operator.certificate);

    TestCa other = new TestCa("other-root");
    Path otherCert = writePem(tmp.resolve("other.pem"), other.certificate);
    Path otherKey = writePem(tmp.resolve("other-key.pem"), other.keys.getPrivate());
    assertThatThrownBy(() -> CertificateAuthority.builder().stateDirectory(dir).files(otherCert, otherKey).build())
        .isInstanceOf(CaException.class).hasMessageContaining("already holds a CA")
        .hasMessageContaining("ca prepare");
  }

  @Test
  void badPemFilesGiveErrorsThatNameTheFileAndWhatWasExpectedAndNeverQuoteTheKey() throws Exception {
    TestCa operator = new TestCa("root");
    Path cert = writePem(tmp.resolve("ca.pem"), operator.certificate);
    Path key = writePem(tmp.resolve("ca-key.pem"), operator.keys.getPrivate());
    String keyBody = Files.readString(key).lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();

    assertThatThrownBy(() -> CertificateAuthority.builder().files(tmp.resolve("nope.pem"), key).build())
        .hasMessageContaining(tmp.resolve("nope.pem") + ": no such file (expected: the CA certificate in PEM)");
    Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "hello, not a certificate\n");
    assertThatThrownBy(() -> CertificateAuthority.builder().files(garbage, key).build())
        .hasMessageContaining(garbage + ": no certificate in the file");
    // A key where the certificate should be, and the other way round.
    assertThatThrownBy(() -> CertificateAuthority.builder().files(key, key).build())
        .hasMessageContaining(key + ": holds a").hasMessageContaining("where a certificate was expected")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(keyBody));
    assertThatThrownBy(() -> CertificateAuthority.builder().files(cert, cert).build())
        .hasMessageContaining(cert + ": holds a").hasMessageContaining("where a private key was expected");
    Path broken = Files.writeString(tmp.resolve("broken-key.pem"),
        "-----BEGIN PRIVATE KEY-----\n" + keyBody.substring(0, 20) + "\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> CertificateAuthority.builder().files(cert, broken).build())
        .hasMessageContaining(broken + ": not a PEM private key")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(keyBody.substring(0, 20)));

    KeyPair stranger = p256();
    Path strangerKey = writePem(tmp.resolve("stranger-key.pem"), stranger.getPrivate());
    assertThatThrownBy(() -> CertificateAuthority.builder().files(cert, strangerKey).build())
        .hasMessageContaining("the private key does not belong to the certificate CN=root");

    var leaf = operator.issue("spiffe://meshclient.local/ns/shop/sa/orders");
    Path leafCert = writePem(tmp.resolve("leaf.pem"), leaf.leaf());
    Path leafKey = writePem(tmp.resolve("leaf-key.pem"), leaf.key());
    assertThatThrownBy(() -> CertificateAuthority.builder().files(leafCert, leafKey).build())
        .hasMessageContaining("is not a CA certificate (expected: BasicConstraints cA=true)");

    MutableClock later = MutableClock.now();
    later.advance(Duration.ofDays(2)); // TestCa roots live one day
    assertThatThrownBy(() -> CertificateAuthority.builder().files(cert, key).clock(later).build())
        .hasMessageContaining("the CA certificate expired at");
  }

  @Test
  void lifetimesAreBackdatedForSkewCappedAtTheMaximumAndNeverOutliveTheCa() throws Exception {
    MutableClock clock = MutableClock.now();
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).clock(clock)
        .defaultTtl(Duration.ofHours(2)).maxTtl(Duration.ofHours(6)).rootValidity(Duration.ofDays(1)).build();
    Instant caNotBefore = ca.signingCertificate().getNotBefore().toInstant();
    Instant caNotAfter = ca.signingCertificate().getNotAfter().toInstant();

    // Right after the root was made: the backdate stops at the CA's own notBefore.
    X509Certificate c = ca.issue(csr(p256(), null), ORDERS, 0).certificate();
    assertThat(c.getNotBefore().toInstant()).isEqualTo(caNotBefore);
    assertThat(c.getNotAfter().toInstant()).isEqualTo(clock.instant().plus(Duration.ofHours(2)));

    clock.advance(Duration.ofHours(1));
    Instant now = clock.instant();
    c = ca.issue(csr(p256(), null), ORDERS, 600).certificate();
    assertThat(c.getNotBefore().toInstant()).isEqualTo(now.minus(Duration.ofMinutes(5)));
    assertThat(c.getNotAfter().toInstant()).isEqualTo(now.plusSeconds(600));
    assertThat(ca.issue(csr(p256(), null), ORDERS, 86_400).certificate().getNotAfter().toInstant())
        .isEqualTo(now.plus(Duration.ofHours(6)));
    assertThat(ca.issue(csr(p256(), null), ORDERS, 5).certificate().getNotAfter().toInstant())
        .isEqualTo(now.plus(CertificateAuthority.MIN_TTL));

    clock.set(caNotAfter.minus(Duration.ofHours(1)));
    assertThat(ca.issue(csr(p256(), null), ORDERS, 0).certificate().getNotAfter().toInstant()).isEqualTo(caNotAfter);
    clock.set(caNotAfter);
    assertThatThrownBy(() -> ca.issue(csr(p256(), null), ORDERS, 0))
        .isInstanceOfSatisfying(CertificateRequestException.class,
            e -> assertThat(e.reason()).isEqualTo(CertificateRequestException.Reason.CA_UNAVAILABLE))
        .hasMessageContaining("expired at " + caNotAfter);
    assertThat(ca.issuedCount()).isEqualTo(5);
  }

  @Test
  void aLowerMinimumLifetimeIsForDemosAndTestsAndHasItsOwnFloor() throws Exception {
    MutableClock clock = MutableClock.now();
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).clock(clock)
        .minimumTtl(Duration.ofSeconds(5)).defaultTtl(Duration.ofSeconds(8)).build();
    clock.advance(Duration.ofHours(1));
    Instant now = clock.instant();
    assertThat(ca.issue(csr(p256(), null), ORDERS, 0).certificate().getNotAfter().toInstant())
        .isEqualTo(now.plusSeconds(8));
    assertThat(ca.issue(csr(p256(), null), ORDERS, 1).certificate().getNotAfter().toInstant())
        .isEqualTo(now.plusSeconds(5));

    assertThatThrownBy(() -> CertificateAuthority.builder().minimumTtl(Duration.ofSeconds(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minimumTtl: PT4S is outside [PT5S, PT1M] (expected: a floor between 5 seconds and a minute)");
    assertThatThrownBy(() -> CertificateAuthority.builder().stateDirectory(tmp.resolve("other"))
            .minimumTtl(Duration.ofSeconds(10)).defaultTtl(Duration.ofSeconds(8)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("defaultTtl: PT8S is shorter than the minimum PT10S");
  }

  @Test
  void serialsAreRandom128BitNumbers() throws Exception {
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).build();
    java.util.Set<java.math.BigInteger> serials = new java.util.HashSet<>();
    byte[] request = csr(p256(), null);
    for (int i = 0; i < 200; i++) {
      java.math.BigInteger s = ca.issue(request, ORDERS, 0).certificate().getSerialNumber();
      assertThat(s.signum()).isPositive();
      assertThat(s.bitLength()).isLessThanOrEqualTo(128);
      serials.add(s);
    }
    assertThat(serials).hasSize(200);
    // 200 uniform 128-bit numbers: the chance that one is under 2^100 is 200 * 2^-28.
    assertThat(serials).allMatch(s -> s.bitLength() > 100);
  }

  @Test
  void rotationStepsGoInOrderAndTheDirectoryIsTheTruth() throws Exception {
    Path dir = tmp.resolve("ca");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(dir).build();
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    ca.onChange(() -> heard.add(ca.stage().name()));
    X509Certificate old = ca.signingCertificate();

    assertThatThrownBy(ca::activateRotation).hasMessageContaining("no rotation is prepared (stage STABLE");
    assertThatThrownBy(ca::retireRotation).hasMessageContaining("no rotation is activated (stage STABLE");

    ca.prepareRotation();
    assertThat(ca.stage()).isEqualTo(RotationStage.PREPARED);
    assertThat(ca.signingCertificate()).isEqualTo(old);
    assertThat(ca.trustBundle()).hasSize(2).first().isEqualTo(old);
    X509Certificate next = ca.trustBundle().get(1);
    assertThatThrownBy(ca::prepareRotation).hasMessageContaining("one is under way (stage PREPARED");

    // Another process (the CLI) opens the same directory and activates.
    CertificateAuthority cli = CertificateAuthority.builder().stateDirectory(dir).build();
    cli.activateRotation();
    assertThat(ca.reload()).isTrue();
    assertThat(ca.stage()).isEqualTo(RotationStage.ACTIVATED);
    assertThat(ca.trustBundle()).containsExactly(next, old);
    assertThat(ca.reload()).isFalse();

    ca.retireRotation();
    assertThat(ca.trustBundle()).containsExactly(next);
    assertThat(heard).containsExactly("PREPARED", "ACTIVATED", "STABLE");
    String oldId = io.meshclient.server.ca.internal.CaRoot.fingerprint(old).substring(0, 16);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("root-")))
          .hasSize(2).noneMatch(n -> n.contains(oldId));
    }
  }

  @Test
  void aBrokenStateFileIsRefusedAndTheCurrentRootsStay() throws Exception {
    Path dir = tmp.resolve("ca");
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(dir).build();
    List<X509Certificate> bundle = ca.trustBundle();
    Files.writeString(dir.resolve("ca.state"), "active = 0123456789abcdef\nnext = nonsense\n");
    assertThatThrownBy(ca::reload).isInstanceOf(CaException.class)
        .hasMessageContaining("ca.state:2: not a root assignment, got 'next = nonsense'");
    Files.writeString(dir.resolve("ca.state"), "active = 0123456789abcdef\n");
    assertThatThrownBy(ca::reload).hasMessageContaining("root-0123456789abcdef.pem: no such file");
    assertThat(ca.trustBundle()).isEqualTo(bundle);
    assertThat(ca.issue(csr(p256(), null), ORDERS, 0)).isNotNull();
  }

  @Test
  void noKeyMaterialInToString() throws Exception {
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).build();
    String keyPem;
    try (Stream<Path> files = Files.list(tmp.resolve("ca"))) {
      keyPem = Files.readString(files.filter(f -> f.toString().endsWith("-key.pem")).findFirst().orElseThrow());
    }
    String keyBody = keyPem.lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
    byte[] der = Base64.getDecoder().decode(keyBody);
    String text = ca + " " + ca.status();
    assertThat(text).contains("meshclient.local").doesNotContain(keyBody.substring(0, 24)).doesNotContain("PRIVATE");
    assertThat(text).doesNotContain(java.util.HexFormat.of().formatHex(der).substring(40, 80));
  }
}
