package io.meshclient.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.RandomSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

  @Test
  void growsByOnePointSixWithinTwentyPercentJitterUpToTheCap() {
    ReconnectBackoff b = new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), RandomSource.seeded(42));
    double expected = 1e9;
    for (int attempt = 0; attempt < 20; attempt++) {
      double nominal = Math.min(expected, 30e9);
      for (int i = 0; i < 200; i++) {
        long d = b.delayNanos(attempt);
        assertThat((double) d).as("attempt %d", attempt).isBetween(nominal * 0.8, nominal * 1.2);
      }
      expected *= 1.6;
    }
  }

  @Test
  void jitterSpreadsAFleet() {
    ReconnectBackoff b = new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), RandomSource.seeded(7));
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 1000; i++) {
      long d = b.delayNanos(3);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    // 4.096 s nominal: a fleet spreads over most of [3.28 s, 4.92 s].
    assertThat(max - min).isGreaterThan(1_400_000_000L);
  }
}
