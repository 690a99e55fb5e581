package io.meshclient.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff with full jitter between attempts: attempt {@code n} (1 = first retry) waits a
 * uniformly random time in {@code [0, min(max, base * 2^(n-1))]}.
 *
 * @param base the first retry's upper bound (Envoy, gRPC: 25 ms)
 * @param max the cap (250 ms)
 */
public record BackoffPolicy(Duration base, Duration max) {

  public static final BackoffPolicy DEFAULT =
      new BackoffPolicy(Duration.ofMillis(25), Duration.ofMillis(250));

  public BackoffPolicy {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(max, "max");
  }

  public static BackoffPolicy of(Duration base, Duration max) {
    return new BackoffPolicy(base, max);
  }
}
