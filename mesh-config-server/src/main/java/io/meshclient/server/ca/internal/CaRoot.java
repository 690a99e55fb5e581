package io.meshclient.server.ca.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One CA root: its certificate and private key. {@link #id()} is the first 16 hex digits of the
 * certificate's SHA-256 fingerprint; it names the root's files in the state directory.
 * {@link #toString()} never shows the key.
 */
public final class CaRoot {

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final String fingerprint;

  public CaRoot(X509Certificate certificate, PrivateKey key) {
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.key = Objects.requireNonNull(key, "key");
    this.fingerprint = fingerprint(certificate);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey key() {
    return key;
  }

  /** The SHA-256 fingerprint of the certificate's DER, lower-case hex. */
  public String fingerprint() {
    return fingerprint;
  }

  public String id() {
    return fingerprint.substring(0, 16);
  }

  public static String fingerprint(X509Certificate c) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint " + c.getSubjectX500Principal(), e);
    }
  }

  @Override
  public String toString() {
    return "CaRoot[" + certificate.getSubjectX500Principal().getName() + ", serial "
        + certificate.getSerialNumber().toString(16) + ", id " + id() + "]";
  }
}
