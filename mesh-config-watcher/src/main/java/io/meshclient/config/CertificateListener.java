package io.meshclient.config;

import io.meshclient.tls.WorkloadIdentity;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Events of a {@link CertificateRenewer}, for logs, metrics, health checks and tests. Every method
 * has an empty default; implementations must not throw or block. Calls come one at a time.
 */
public interface CertificateListener {

  CertificateListener NONE = new CertificateListener() {};

  /** A certificate was issued and is now in use; the next renewal is due at {@code renewAt}. */
  default void onIssued(WorkloadIdentity identity, Instant renewAt) {}

  /**
   * An attempt failed (the server's status, or why its answer was refused); the identity in use
   * is unchanged and the next attempt follows after {@code retryIn}.
   */
  default void onFailed(String reason, Duration retryIn) {}

  /** The trust bundle changed (the CA is being rotated); {@code roots} is the new bundle. */
  default void onTrustBundleChanged(List<X509Certificate> roots) {}

  /**
   * The certificate in use expired before a renewal succeeded: peers now refuse it. Attempts go
   * on; {@code lastFailure} is why the last one failed.
   */
  default void onExpired(WorkloadIdentity identity, String lastFailure) {}
}
