package io.meshclient.testing;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import io.meshclient.tls.WorkloadIdentity;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test CA issuing real ECDSA P-256 SVIDs (BouncyCastle, test scope only). Shared with the
 * adapters' tests through this module's test-jar.
 */
public final class TestCa {
  private static final AtomicLong SERIALS = new AtomicLong(1000);
  public final KeyPair keys;
  public final X509Certificate certificate;

  public TestCa(String name) throws Exception {
    keys = ecKeys();
    X500Name subject = new X500Name("CN=" + name);
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(SERIALS.incrementAndGet()),
            Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    certificate = sign(b, keys);
  }

  public static KeyPair ecKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  public WorkloadIdentity issue(String spiffeId) throws Exception {
    return issue(spiffeId, Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofHours(1)));
  }

  public WorkloadIdentity issue(String spiffeId, Instant notBefore, Instant notAfter) throws Exception {
    KeyPair workload = ecKeys();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(new X500Name(certificate.getSubjectX500Principal().getName()),
            BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
            new X500Name("O=meshclient-test"), workload.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    b.addExtension(Extension.subjectAlternativeName, true,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
    X509Certificate leaf = sign(b, keys);
    return WorkloadIdentity.of(workload.getPrivate(), List.of(leaf));
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }
}
