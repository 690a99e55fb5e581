package io.meshclient.server.ca.internal;

import io.meshclient.server.ca.CaException;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM in and out. Errors name the file and say what was expected; they never quote the file's
 * content (it may be a key).
 */
public final class Pem {

  private Pem() {}

  /** The certificates of a PEM file, in order; at least one. */
  public static List<X509Certificate> readCertificates(Path file) throws CaException {
    String text = read(file, "certificate");
    List<X509Certificate> certs = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (!(o instanceof X509CertificateHolder holder)) {
          throw new CaException(file + ": holds a " + kind(o) + " where a certificate was expected"
              + " (expected: PEM '-----BEGIN CERTIFICATE-----' blocks)");
        }
        certs.add(new JcaX509CertificateConverter().getCertificate(holder));
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new CaException(file + ": not a PEM certificate: " + e.getMessage()
          + " (expected: PEM '-----BEGIN CERTIFICATE-----' blocks)", e);
    }
    if (certs.isEmpty()) {
      throw new CaException(file + ": no certificate in the file (expected: a PEM '-----BEGIN CERTIFICATE-----' block)");
    }
    return certs;
  }

  /** The one private key of a PEM file: PKCS#8 ("PRIVATE KEY") or traditional ("EC/RSA PRIVATE KEY"). */
  public static PrivateKey readPrivateKey(Path file) throws CaException {
    String text = read(file, "private key");
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
        throw new CaException(file + ": the private key is encrypted (expected: an unencrypted PEM key"
            + " in a file only the server can read, mode 0600)");
      }
      throw new CaException(file + ": " + (o == null ? "no PEM block" : "holds a " + kind(o))
          + " where a private key was expected (expected: PEM '-----BEGIN PRIVATE KEY-----')");
    } catch (IOException | RuntimeException e) {
      // The parser's message, never the content.
      throw new CaException(file + ": not a PEM private key (" + e.getClass().getSimpleName()
          + ") (expected: PEM '-----BEGIN PRIVATE KEY-----')", e);
    }
  }

  private static String kind(Object o) {
    return o.getClass().getSimpleName();
  }

  private static String read(Path file, String what) throws CaException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new CaException(file + ": no such file (expected: the CA " + what + " in PEM)", e);
    } catch (IOException e) {
      throw new CaException(file + ": cannot read the CA " + what + ": " + e, e);
    }
  }

  public static String certificates(List<X509Certificate> certs) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (X509Certificate c : certs) {
        w.writeObject(c);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  /** PKCS#8 PEM. */
  public static String privateKey(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

}
