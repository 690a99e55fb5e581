package io.meshclient.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.meshclient.RandomSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^(n-1))]. */
class BackoffTest {

  private static final long BASE = Duration.ofMillis(25).toNanos();
  private static final long MAX = Duration.ofMillis(250).toNanos();

  @Test
  void ceilingDoublesPerRetryUpToTheMaximumAndTheWaitIsUniformBelowIt() {
    RandomSource random = RandomSource.seeded(17);
    long[] ceilings = {BASE, 2 * BASE, 4 * BASE, 8 * BASE, MAX, MAX, MAX};
    for (int retry = 1; retry <= ceilings.length; retry++) {
      long ceiling = ceilings[retry - 1];
      int n = 20_000;
      double sum = 0;
      long max = 0;
      for (int i = 0; i < n; i++) {
        long b = Backoff.fullJitter(BASE, MAX, retry, random);
        assertThat(b).isBetween(0L, ceiling);
        sum += b;
        max = Math.max(max, b);
      }
      // uniform: mean ceiling/2 (±2 %), and the top of the range is reached
      assertThat(sum / n / ceiling).as("retry %d", retry).isCloseTo(0.5, within(0.02));
      assertThat((double) max / ceiling).isGreaterThan(0.99);
    }
  }

  @Test
  void largeRetryNumbersAndBasesDoNotOverflow() {
    RandomSource random = RandomSource.seeded(1);
    long hour = Duration.ofHours(1).toNanos();
    for (int retry : new int[] {0, 1, 31, 64, Integer.MAX_VALUE}) {
      assertThat(Backoff.fullJitter(hour, 2 * hour, retry, random)).isBetween(0L, 2 * hour);
    }
  }
}
