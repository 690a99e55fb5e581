package io.meshclient.server.ca;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A signed workload certificate and the trust bundle at the time of signing.
 *
 * @param certificate the workload certificate; the chain sent to the workload is this alone, since
 *     the CA certificate that signed it is a root of the bundle
 * @param trustBundle the roots to trust, the one that signed first
 */
public record IssuedCertificate(X509Certificate certificate, List<X509Certificate> trustBundle) {
  public IssuedCertificate {
    trustBundle = List.copyOf(trustBundle);
  }
}
