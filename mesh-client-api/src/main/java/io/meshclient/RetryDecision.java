package io.meshclient;

/** What the engine decided when an attempt completed. */
public enum RetryDecision {
  /** The attempt succeeded (or failed in a way that is the caller's answer, such as a 404). */
  DONE,
  /** Retry: wait {@link MeshCall#backoffNanos()}, then start another attempt. */
  RETRY,
  /** The failure is not one of the policy's {@code retryOn} conditions. */
  NOT_RETRYABLE,
  /** The request may have reached the server and is not idempotent. */
  NOT_IDEMPOTENT,
  /** {@code retry.maxAttempts} attempts were made. */
  ATTEMPTS_EXHAUSTED,
  /** The retry budget is spent: the service is failing for many callers. */
  BUDGET_EXHAUSTED,
  /** Another attempt cannot finish before the call's deadline. */
  DEADLINE,
  /** The response had started (streaming) so the call was committed to this attempt. */
  COMMITTED;

  public boolean isRetry() {
    return this == RETRY;
  }
}
