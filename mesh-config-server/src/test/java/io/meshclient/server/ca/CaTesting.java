package io.meshclient.server.ca;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.jspecify.annotations.Nullable;

/** Test parts for the CA: real CSRs made with BouncyCastle, PEM files, PKIX checks, a settable clock. */
public final class CaTesting {

  private CaTesting() {}

  public static KeyPair keys(String algorithm, Object spec) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
    if (spec instanceof Integer bits) {
      g.initialize(bits);
    } else {
      g.initialize(new ECGenParameterSpec((String) spec));
    }
    return g.generateKeyPair();
  }

  public static KeyPair p256() throws Exception {
    return keys("EC", "secp256r1");
  }

  /** A CSR for {@code keys}, signed by them, asking for {@code uri} (none when null). */
  public static byte[] csr(KeyPair keys, @Nullable String uri) throws Exception {
    return csr(keys.getPublic(), keys.getPrivate(), uri, false);
  }

  /**
   * A CSR carrying {@code key} but signed by {@code signer} (a bad signature when they differ), with
   * BasicConstraints cA=true when {@code askCa}.
   */
  public static byte[] csr(java.security.PublicKey key, PrivateKey signer, @Nullable String uri, boolean askCa)
      throws Exception {
    PKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ignored"), key);
    ExtensionsGenerator ext = new ExtensionsGenerator();
    if (uri != null) {
      ext.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
    }
    if (askCa) {
      ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    }
    if (!ext.isEmpty()) {
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return b.build(new JcaContentSignerBuilder(alg).build(signer)).getEncoded();
  }

  public static X509Certificate certificate(byte[] der) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
  }

  /** JDK PKIX validation of {@code leaf} against {@code roots} at {@code at}; throws when it does not chain. */
  public static void verify(X509Certificate leaf, List<X509Certificate> roots, Instant at) throws Exception {
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate r : roots) {
      anchors.add(new TrustAnchor(r, null));
    }
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
  }

  public static boolean chains(X509Certificate leaf, List<X509Certificate> roots) throws Exception {
    try {
      verify(leaf, roots, Instant.now());
      return true;
    } catch (CertPathValidatorException e) {
      return false;
    }
  }

  public static Path writePem(Path file, Object... objects) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
      }
    }
    Files.writeString(file, out.toString());
    return file;
  }

  /** A clock tests set and step; whole seconds, as certificates carry. */
  public static final class MutableClock extends Clock {
    private volatile Instant now;

    public MutableClock(Instant start) {
      this.now = start;
    }

    public static MutableClock now() {
      return new MutableClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
    }

    public void set(Instant t) {
      now = t;
    }

    public void advance(java.time.Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
