package io.meshclient.tls;

import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The workload's current identity: its private key (generated in the process, never sent
 * anywhere) and its certificate chain, leaf first, whose URI SAN is the SPIFFE ID.
 */
public record WorkloadIdentity(PrivateKey key, List<X509Certificate> chain, SpiffeId id) {

  public WorkloadIdentity {
    Objects.requireNonNull(key, "key");
    chain = List.copyOf(chain);
    Objects.requireNonNull(id, "id");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("identity " + id + ": empty certificate chain");
    }
  }

  /** An identity from a key and chain; the SPIFFE ID is read from the leaf's URI SAN. */
  public static WorkloadIdentity of(PrivateKey key, List<X509Certificate> chain) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("empty certificate chain (expected the leaf first)");
    }
    try {
      SpiffeId id = SpiffeId.fromCertificate(chain.get(0));
      if (id == null) {
        throw new IllegalArgumentException(
            "certificate " + chain.get(0).getSubjectX500Principal()
                + " has no spiffe:// URI SAN (expected an X.509 SVID)");
      }
      return new WorkloadIdentity(key, chain, id);
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** When the leaf expires, in epoch milliseconds. */
  public long notAfterMillis() {
    return leaf().getNotAfter().getTime();
  }
}
