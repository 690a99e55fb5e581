package io.meshclient.spring;

import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What the auto-configured certificate renewer has done since start-up: certificates issued,
 * failed attempts and the last failure. Read by the actuator {@code mesh} endpoint and the
 * Micrometer binder; the certificate itself is the {@code MeshCredentials} bean's.
 */
public final class MeshIdentityStatus {

  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile @Nullable String lastFailure;

  /** Certificates issued, the first one included. */
  public long issued() {
    return issued.get();
  }

  /** Certificates issued after the first one. */
  public long renewals() {
    return Math.max(0, issued.get() - 1);
  }

  /** Attempts that failed (the server's answer, or why its certificate was refused). */
  public long failures() {
    return failures.get();
  }

  /** Why the last attempt failed, or null when none has. */
  public @Nullable String lastFailure() {
    return lastFailure;
  }

  void onIssued() {
    issued.incrementAndGet();
  }

  void onFailed(String reason) {
    lastFailure = reason;
    failures.incrementAndGet();
  }
}
