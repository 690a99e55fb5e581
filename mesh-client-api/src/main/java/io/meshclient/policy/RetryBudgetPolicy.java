package io.meshclient.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Caps retries at a share of requests over a sliding window, so a failing dependency sees at most
 * {@code (1 + ratio)} times its normal load (Finagle's {@code RetryBudget}).
 *
 * @param ratio retries allowed per request, in [0, 1] (default 0.2)
 * @param minPerSecond retries always allowed per second, so low-traffic callers can still retry
 *     (default 10)
 * @param window the sliding window (default 10 s, whole seconds)
 */
public record RetryBudgetPolicy(double ratio, int minPerSecond, Duration window) {

  public static final RetryBudgetPolicy DEFAULT =
      new RetryBudgetPolicy(0.2, 10, Duration.ofSeconds(10));

  public RetryBudgetPolicy {
    Objects.requireNonNull(window, "window");
  }

  public static RetryBudgetPolicy of(double ratio, int minPerSecond) {
    return new RetryBudgetPolicy(ratio, minPerSecond, DEFAULT.window());
  }
}
