package io.meshclient.config.internal;

import io.meshclient.RandomSource;
import java.time.Duration;

/**
 * Exponential backoff with jitter for reconnecting, as gRPC's connection backoff: the n-th retry
 * (0-based) waits {@code min(max, initial * 1.6^n)}, spread uniformly by ±20% so that a fleet
 * whose server restarted does not reconnect in lock step. A function of the attempt number and an
 * injected random source: no state, no clock.
 */
public final class ReconnectBackoff {

  static final double MULTIPLIER = 1.6;
  static final double JITTER = 0.2;

  private final long initialNanos;
  private final long maxNanos;
  private final RandomSource random;

  public ReconnectBackoff(Duration initial, Duration max, RandomSource random) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff: initial must be positive and max at least initial, got "
          + initial + ", " + max);
    }
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.random = random;
  }

  /** The wait before retry number {@code attempt} (0 for the first retry). */
  public long delayNanos(int attempt) {
    double base = initialNanos * Math.pow(MULTIPLIER, Math.min(attempt, 64));
    double capped = Math.min(base, (double) maxNanos);
    double u = random.nextLong(1L << 53) / (double) (1L << 53);
    return (long) (capped * (1 - JITTER + 2 * JITTER * u));
  }
}
