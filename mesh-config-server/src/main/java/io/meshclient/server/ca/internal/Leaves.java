package io.meshclient.server.ca.internal;

import io.meshclient.server.ca.CertificateRequestException;
import io.meshclient.server.ca.CertificateRequestException.Reason;
import io.meshclient.tls.SpiffeId;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.jspecify.annotations.Nullable;

/**
 * Workload certificates: the checks on a PKCS#10 request and the certificate built from it.
 *
 * <p>Keys accepted: ECDSA P-256, RSA of 2048 bits or more. EC keys on other curves (P-192, P-384,
 * P-521, brainpool...) are refused: every MeshClient workload generates P-256, and one curve keeps
 * the TLS signature schemes predictable across the fleet.
 */
public final class Leaves {

  /** The request's key and the URI SAN it asks for (null when it asks for none). */
  public record Request(SubjectPublicKeyInfo key, @Nullable String uri, boolean rsa) {}

  private static final String EXPECTED_KEY = "expected: ECDSA P-256, or RSA >= 2048 bits";
  private static final Set<ASN1ObjectIdentifier> SIGNATURES = Set.of(
      X9ObjectIdentifiers.ecdsa_with_SHA256, X9ObjectIdentifiers.ecdsa_with_SHA384, X9ObjectIdentifiers.ecdsa_with_SHA512,
      PKCSObjectIdentifiers.sha256WithRSAEncryption, PKCSObjectIdentifiers.sha384WithRSAEncryption,
      PKCSObjectIdentifiers.sha512WithRSAEncryption);
  private static final Map<ASN1ObjectIdentifier, String> CURVES = Map.of(
      SECObjectIdentifiers.secp192r1, "P-192 (secp192r1)", SECObjectIdentifiers.secp224r1, "P-224 (secp224r1)",
      SECObjectIdentifiers.secp384r1, "P-384 (secp384r1)", SECObjectIdentifiers.secp521r1, "P-521 (secp521r1)",
      SECObjectIdentifiers.secp256k1, "secp256k1");

  private Leaves() {}

  /** Parses and checks a DER PKCS#10 request: well-formed, a supported key, a valid self-signature. */
  public static Request parse(byte[] der) throws CertificateRequestException {
    if (der.length == 0) {
      throw invalid("csr: empty (expected: a DER-encoded PKCS#10 certificate signing request)");
    }
    PKCS10CertificationRequest csr;
    try {
      csr = new PKCS10CertificationRequest(der);
    } catch (IOException | RuntimeException e) {
      throw invalid("csr: not a DER PKCS#10 certificate signing request (" + e.getMessage()
          + ") (expected: the DER bytes of a CSR, not PEM)");
    }
    SubjectPublicKeyInfo key = csr.getSubjectPublicKeyInfo();
    boolean rsa = checkKey(key);
    ASN1ObjectIdentifier sigAlg = csr.getSignatureAlgorithm().getAlgorithm();
    if (!SIGNATURES.contains(sigAlg)) {
      throw invalid("csr: signature algorithm " + sigAlg.getId()
          + " is not accepted (expected: ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512)");
    }
    try {
      // The JDK's providers know keys by name ("EC"), not by OID: convert first.
      java.security.PublicKey publicKey = new JcaPEMKeyConverter().getPublicKey(key);
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
        throw invalid("csr: bad signature: the request is not signed by the key it carries"
            + " (expected: a CSR signed with its own private key)");
      }
    } catch (OperatorCreationException | PKCSException | java.io.IOException | RuntimeException e) {
      throw invalid("csr: cannot verify its signature (" + e.getMessage() + ")");
    }
    return new Request(key, requestedUri(csr), rsa);
  }

  /** True for RSA; throws for anything but EC P-256 and RSA >= 2048. */
  private static boolean checkKey(SubjectPublicKeyInfo key) throws CertificateRequestException {
    AlgorithmIdentifier alg = key.getAlgorithm();
    try {
      if (alg.getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey)) {
        ASN1Encodable params = alg.getParameters();
        if (params instanceof ASN1ObjectIdentifier curve) {
          if (curve.equals(SECObjectIdentifiers.secp256r1)) {
            return false;
          }
          throw invalid("csr: EC key on curve " + CURVES.getOrDefault(curve, curve.getId()) + " (" + EXPECTED_KEY + ")");
        }
        throw invalid("csr: EC key with explicit or implicit curve parameters (" + EXPECTED_KEY + ", as a named curve)");
      }
      if (alg.getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption)) {
        int bits = RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().bitLength();
        if (bits < 2048) {
          throw invalid("csr: RSA key of " + bits + " bits is too weak (" + EXPECTED_KEY + ")");
        }
        return true;
      }
    } catch (IOException | RuntimeException e) {
      throw invalid("csr: unreadable public key (" + e.getMessage() + ") (" + EXPECTED_KEY + ")");
    }
    throw invalid("csr: key algorithm " + alg.getAlgorithm().getId() + " is not supported (" + EXPECTED_KEY + ")");
  }

  private static @Nullable String requestedUri(PKCS10CertificationRequest csr) throws CertificateRequestException {
    Extensions ext;
    try {
      ext = csr.getRequestedExtensions();
    } catch (RuntimeException e) {
      throw invalid("csr: unreadable extensionRequest attribute (" + e.getMessage() + ")");
    }
    if (ext == null) {
      return null;
    }
    try {
      BasicConstraints bc = BasicConstraints.fromExtensions(ext);
      if (bc != null && bc.isCA()) {
        throw invalid("csr: asks for a CA certificate (BasicConstraints cA=true); workload certificates are"
            + " never CAs (expected: no BasicConstraints, or cA=false)");
      }
      GeneralNames names = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
      if (names == null) {
        return null;
      }
      List<String> uris = new ArrayList<>();
      for (GeneralName n : names.getNames()) {
        if (n.getTagNo() == GeneralName.uniformResourceIdentifier) {
          uris.add(n.getName().toString());
        }
      }
      if (uris.size() > 1) {
        throw invalid("csr: " + uris.size() + " URI SANs " + uris + " (expected: at most one, the SPIFFE ID)");
      }
      return uris.isEmpty() ? null : uris.get(0);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw invalid("csr: unreadable extensions (" + e.getMessage() + ")");
    }
  }

  /**
   * Signs the certificate of {@code id} for {@code request}'s key; {@code hostNames} (DNS names or IP
   * literals, for a server's own TLS certificate) join the SPIFFE ID in the SAN.
   */
  public static X509Certificate issue(CaRoot signer, Request request, SpiffeId id, List<String> hostNames,
      Instant notBefore, Instant notAfter, SecureRandom random) {
    try {
      X509Certificate ca = signer.certificate();
      String[] segments = id.path().split("/");
      X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, id.trustDomain());
      if (segments.length == 5) { // "", ns, <namespace>, sa, <service>
        subject.addRDN(BCStyle.OU, segments[2]).addRDN(BCStyle.CN, segments[4]);
      }
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
          serial(random), Date.from(notBefore), Date.from(notAfter), subject.build(), request.key());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      // keyAgreement for ECDHE-ECDSA (ECDH with the certificate's key), keyEncipherment for RSA key transport.
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | (request.rsa() ? KeyUsage.keyEncipherment : KeyUsage.keyAgreement)));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      List<GeneralName> sans = new ArrayList<>();
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString()));
      for (String host : hostNames) {
        sans.add(new GeneralName(isIp(host) ? GeneralName.iPAddress : GeneralName.dNSName, host));
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(request.key()));
      return new JcaX509CertificateConverter().getCertificate(b.build(
          new JcaContentSignerBuilder(Roots.signatureAlgorithm(signer.key())).setSecureRandom(random).build(signer.key())));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot sign a certificate for " + id + ": " + e.getMessage(), e);
    }
  }

  /** IPv4 dotted quads and IPv6 literals; anything else is a DNS name. */
  static boolean isIp(String host) {
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || host.contains(":");
  }

  /** A random positive 128-bit serial (RFC 5280 allows 20 octets; CA/B asks for 64+ random bits). */
  static BigInteger serial(SecureRandom random) {
    byte[] bytes = new byte[16];
    BigInteger serial;
    do {
      random.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }


  private static CertificateRequestException invalid(String message) {
    return new CertificateRequestException(Reason.INVALID_REQUEST, message);
  }
}
