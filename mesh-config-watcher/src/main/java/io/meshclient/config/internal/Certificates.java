package io.meshclient.config.internal;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Parsing and checking of the X.509 material the config server hands out. */
public final class Certificates {

  private Certificates() {}

  /**
   * Parses DER certificates, one per entry, as in {@code trust_bundle} and {@code
   * certificate_chain}; a bad entry is named by {@code field[index]}.
   */
  public static List<X509Certificate> parseDer(List<ByteString> entries, String field) {
    List<X509Certificate> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      try (InputStream in = entries.get(i).newInput()) {
        out.add((X509Certificate) factory().generateCertificate(in));
      } catch (CertificateException | IOException | ClassCastException e) {
        throw new IllegalArgumentException(field + "[" + i + "]: not a DER X.509 certificate: " + e.getMessage()
            + " (expected one DER-encoded certificate per entry)", e);
      }
    }
    return out;
  }

  /** The certificates of a PEM file (a CA bundle); a missing, unreadable or empty file is an error. */
  public static List<X509Certificate> readPem(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("trust bundle " + file + ": cannot read it: " + e
          + " (expected a PEM file of CA certificates)", e);
    }
    Collection<? extends Certificate> certs;
    try {
      certs = factory().generateCertificates(new ByteArrayInputStream(bytes));
    } catch (CertificateException e) {
      throw new IllegalArgumentException("trust bundle " + file + ": not valid PEM certificates: " + e.getMessage()
          + " (expected -----BEGIN CERTIFICATE----- blocks)", e);
    }
    if (certs.isEmpty()) {
      throw new IllegalArgumentException("trust bundle " + file
          + ": no certificate in it (expected -----BEGIN CERTIFICATE----- blocks)");
    }
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate c : certs) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  /** A standard PKIX trust manager (with host name checks by the TLS stack) trusting {@code roots}. */
  public static X509TrustManager trustManager(List<X509Certificate> roots) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < roots.size(); i++) {
        store.setCertificateEntry("root-" + i, roots.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      return (X509TrustManager) f.getTrustManagers()[0];
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust manager: " + e, e);
    }
  }

  /**
   * Checks that {@code chain} (leaf first) leads to one of {@code roots} and is valid at {@code at}.
   *
   * @throws CertificateException saying why not
   */
  public static void verifyChain(List<X509Certificate> chain, List<X509Certificate> roots, Instant at)
      throws CertificateException {
    Set<TrustAnchor> anchors = new LinkedHashSet<>();
    for (X509Certificate root : roots) {
      anchors.add(new TrustAnchor(root, null));
    }
    // A root the server appended to the chain is redundant with the anchor: drop it.
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && roots.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false); // short-lived certificates: expiry is the revocation
      params.setDate(Date.from(at));
      CertPathValidator.getInstance("PKIX").validate(factory().generateCertPath(path), params);
    } catch (CertPathValidatorException e) {
      throw new CertificateException("the chain does not verify against the trust bundle "
          + subjects(roots) + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("cannot verify the chain: " + e, e);
    }
  }

  /** The subjects of {@code certs}, for messages. */
  public static List<String> subjects(List<X509Certificate> certs) {
    List<String> out = new ArrayList<>(certs.size());
    for (X509Certificate c : certs) {
      out.add(c.getSubjectX500Principal().getName());
    }
    return out;
  }

  private static CertificateFactory factory() throws CertificateException {
    return CertificateFactory.getInstance("X.509");
  }
}
