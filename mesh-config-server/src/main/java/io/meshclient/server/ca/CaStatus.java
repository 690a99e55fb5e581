package io.meshclient.server.ca;

import java.time.Instant;
import java.util.List;

/**
 * What the status page shows of the CA: public facts only, never key material.
 *
 * @param trustDomain the trust domain of the SPIFFE IDs it issues
 * @param source where the roots come from: the state directory, or the operator's PEM files
 * @param stage where a root rotation stands
 * @param roots the trust bundle, the root that signs first
 * @param issued certificates issued since this server started
 */
public record CaStatus(String trustDomain, String source, RotationStage stage, List<Root> roots, long issued) {

  public CaStatus {
    roots = List.copyOf(roots);
  }

  /**
   * One root of the bundle.
   *
   * @param role "active" (signs), "next" (prepared, not signing yet) or "previous" (trusted until retired)
   * @param sha256 the SHA-256 fingerprint of its DER, hex
   */
  public record Root(String role, String subject, String serial, Instant notAfter, String sha256) {}
}
