package io.meshclient.internal.engine;

import io.meshclient.RandomSource;

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a function of the retry number on primitives, randomness injected.
 */
public final class Backoff {
  private Backoff() {}

  /**
   * The wait before retry {@code retry} (1 = first retry): uniform in {@code [0, min(max, base *
   * 2^(retry-1))]}.
   */
  public static long fullJitter(long baseNanos, long maxNanos, int retry, RandomSource random) {
    int shift = Math.min(Math.max(retry - 1, 0), 30);
    long ceiling = baseNanos << shift;
    if (ceiling <= 0 || ceiling > maxNanos) {
      ceiling = maxNanos;
    }
    return ceiling <= 0 ? 0 : random.nextLong(ceiling + 1);
  }
}
