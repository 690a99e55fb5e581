package io.meshclient;

/** What the engine decided when an attempt completed. */
public enum RetryDecision {
  /** The attempt succeeded (or failed in a way that is the caller's answer, such as a 404). */
  DONE("done"),
  /** Retry: wait {@link MeshCall#backoffNanos()}, then start another attempt. */
  RETRY("retry"),
  /** The failure is not one of the policy's {@code retryOn} conditions. */
  NOT_RETRYABLE("the failure is not in the policy's retry.retryOn"),
  /** The request may have reached the server and is not idempotent. */
  NOT_IDEMPOTENT("the request may have reached the server and is not idempotent"),
  /** {@code retry.maxAttempts} attempts were made. */
  ATTEMPTS_EXHAUSTED("retry.maxAttempts attempts were made"),
  /** The retry budget is spent: the service is failing for many callers. */
  BUDGET_EXHAUSTED("the service's retry budget is spent"),
  /** Another attempt cannot finish before the call's deadline. */
  DEADLINE("another attempt could not finish before the deadline"),
  /** The response had started (streaming) so the call was committed to this attempt. */
  COMMITTED("the response had started: the call was committed to its attempt");

  private final String description;

  RetryDecision(String description) {
    this.description = description;
  }

  public boolean isRetry() {
    return this == RETRY;
  }

  /**
   * Whether the engine declined a retry that the failure's kind would have allowed (attempts,
   * budget, deadline, idempotency): worth telling the caller, whose error would otherwise not say
   * why the mesh gave up.
   */
  public boolean declinedRetry() {
    return this == NOT_IDEMPOTENT || this == ATTEMPTS_EXHAUSTED || this == BUDGET_EXHAUSTED || this == DEADLINE;
  }

  /** Why, in words, for error messages. */
  public String description() {
    return description;
  }
}
