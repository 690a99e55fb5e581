package io.meshclient.config.internal;

import io.meshclient.tls.SpiffeId;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.jspecify.annotations.Nullable;

/** Workload key pairs and the PKCS#10 requests that carry their public half to the CA. */
public final class Csr {

  // The server ignores the subject; the identity is the URI SAN.
  private static final X500Name SUBJECT = new X500Name("O=meshclient");

  private Csr() {}

  /** A fresh ECDSA P-256 key pair, from the platform's secure random source. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JDK", e);
    }
  }

  /**
   * A DER PKCS#10 request for {@code keys}' public key, signed with its private key (which stays
   * here), asking for {@code id} in the URI SAN when given.
   */
  public static byte[] create(KeyPair keys, @Nullable SpiffeId id) {
    PKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(SUBJECT, keys.getPublic());
    try {
      if (id != null) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, true,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build the certificate signing request: " + e, e);
    }
  }
}
