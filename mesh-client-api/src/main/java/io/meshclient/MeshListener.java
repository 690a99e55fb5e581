package io.meshclient;

import io.meshclient.policy.MeshPolicy;
import org.jspecify.annotations.Nullable;

/**
 * Rare events of the mesh, for logs and metrics. Called on the thread where the event happened,
 * never per successful request; implementations must be fast and must not throw. Every method has
 * an empty default.
 */
public interface MeshListener {

  /** A listener that ignores everything. */
  MeshListener NONE = new MeshListener() {};

  /** A policy was compiled and is now in force. */
  default void onPolicyApplied(MeshPolicy policy) {}

  /**
   * A retry was granted; {@code attempt} is the number of the attempt about to start (2 = first
   * retry). {@code outcome} is null when the attempt ended with a status ({@code status}), else
   * {@code status} is -1.
   */
  default void onRetry(String service, int attempt, @Nullable Outcome outcome, int status) {}

  /** A retry was wanted but refused ({@link RetryDecision#BUDGET_EXHAUSTED}, {@link RetryDecision#DEADLINE}, ...). */
  default void onRetryDenied(String service, RetryDecision reason) {}

  /** A call or attempt was rejected before sending. */
  default void onRejected(String service, Rejection reason) {}

  /** An endpoint was ejected by outlier detection until the given ticker time. */
  default void onEjected(String service, Endpoint endpoint, long ejectionNanos) {}

  /** An endpoint's circuit breaker changed state. */
  default void onBreakerStateChange(String service, Endpoint endpoint, Endpoint.BreakerState state) {}
}
