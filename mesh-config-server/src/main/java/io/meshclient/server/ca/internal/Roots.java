package io.meshclient.server.ca.internal;

import io.meshclient.server.ca.CaException;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/** Generating a CA root, and checking one an operator provides. */
public final class Roots {

  private static final int KEY_CERT_SIGN = 5;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private Roots() {}

  /** A new self-signed ECDSA P-256 root, valid from a minute ago for {@code validity}. */
  public static CaRoot generate(String trustDomain, Duration validity, Clock clock, SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      KeyPair keys = g.generateKeyPair();
      Instant now = clock.instant();
      java.math.BigInteger serial = Leaves.serial(random);
      // The time stamp tells an old root from its successor at a glance (status page, openssl);
      // the serial's first digits keep two roots made in the same second apart (a subject shared
      // by two roots in one bundle would confuse tools and people).
      String id = String.format("%032x", serial).substring(0, 8);
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
          .addRDN(BCStyle.O, "MeshClient")
          .addRDN(BCStyle.OU, trustDomain)
          .addRDN(BCStyle.CN, "MeshClient CA " + STAMP.format(now) + " " + id)
          .build();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial,
          Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), subject, keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").setSecureRandom(random).build(keys.getPrivate())));
      return new CaRoot(cert, keys.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException("cannot generate a CA root: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that {@code cert} and {@code key} make a usable CA: a CA certificate (BasicConstraints
   * cA, keyCertSign if KeyUsage is present), current at {@code now}, a supported key, and the key
   * belongs to the certificate. {@code where} names the files in errors.
   */
  public static CaRoot check(X509Certificate cert, PrivateKey key, String where, Instant now) throws CaException {
    if (cert.getBasicConstraints() < 0) {
      throw new CaException(where + ": " + cert.getSubjectX500Principal().getName()
          + " is not a CA certificate (expected: BasicConstraints cA=true)");
    }
    boolean[] usage = cert.getKeyUsage();
    if (usage != null && (usage.length <= KEY_CERT_SIGN || !usage[KEY_CERT_SIGN])) {
      throw new CaException(where + ": " + cert.getSubjectX500Principal().getName()
          + " may not sign certificates (expected: KeyUsage keyCertSign)");
    }
    if (!now.isBefore(cert.getNotAfter().toInstant())) {
      throw new CaException(where + ": the CA certificate expired at " + cert.getNotAfter().toInstant()
          + " (expected: a current CA certificate)");
    }
    String keyProblem = keyProblem(cert.getPublicKey());
    if (keyProblem != null) {
      throw new CaException(where + ": CA " + keyProblem);
    }
    if (!matches(key, cert.getPublicKey())) {
      throw new CaException(where + ": the private key does not belong to the certificate "
          + cert.getSubjectX500Principal().getName() + " (expected: the key the certificate was issued for)");
    }
    return new CaRoot(cert, key);
  }

  /** Null when a CA may use {@code key}: EC P-256/P-384 or RSA of 2048 bits or more. */
  private static @Nullable String keyProblem(PublicKey key) {
    if (key instanceof RSAKey rsa) {
      int bits = rsa.getModulus().bitLength();
      return bits >= 2048 ? null : "key is RSA " + bits + " bits (expected: RSA >= 2048 or ECDSA P-256/P-384)";
    }
    if (key instanceof ECKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      return bits == 256 || bits == 384 ? null : "key is EC " + bits + " bits (expected: ECDSA P-256/P-384 or RSA >= 2048)";
    }
    return "key is " + key.getAlgorithm() + " (expected: ECDSA P-256/P-384 or RSA >= 2048)";
  }

  private static boolean matches(PrivateKey key, PublicKey pub) {
    try {
      byte[] probe = "meshclient-ca-key-check".getBytes(StandardCharsets.US_ASCII);
      String alg = signatureAlgorithm(key);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** The signature algorithm a CA key signs with. */
  public static String signatureAlgorithm(PrivateKey key) {
    if (key instanceof ECKey ec) {
      return ec.getParams().getCurve().getField().getFieldSize() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
    }
    return "SHA256withRSA";
  }

}
