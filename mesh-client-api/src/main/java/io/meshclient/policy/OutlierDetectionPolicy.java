package io.meshclient.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Ejects an endpoint after consecutive failures (Envoy's outlier detection).
 *
 * <p>The n-th ejection of an endpoint lasts {@code baseEjectionTime * n}, capped at {@code
 * maxEjectionTime}. At most {@code maxEjectionPercent} of a service's endpoints are ejected at once
 * (at least one). When fewer than {@code panicThresholdPercent} of the endpoints are available, the
 * balancer is in panic mode and ignores ejections rather than failing everything.
 *
 * @param consecutiveFailures failures in a row that eject (default 5)
 * @param baseEjectionTime the first ejection's length (default 30 s)
 * @param maxEjectionTime the longest ejection (default 300 s)
 * @param maxEjectionPercent the share of endpoints that may be ejected, in [0, 100] (default 50)
 * @param panicThresholdPercent below this share of available endpoints, ejections are ignored, in
 *     [0, 100] (default 50, Envoy's healthy panic threshold)
 */
public record OutlierDetectionPolicy(
    int consecutiveFailures,
    Duration baseEjectionTime,
    Duration maxEjectionTime,
    int maxEjectionPercent,
    int panicThresholdPercent) {

  public static final OutlierDetectionPolicy DEFAULT = builder().build();

  public OutlierDetectionPolicy {
    Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
    Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .consecutiveFailures(consecutiveFailures)
        .baseEjectionTime(baseEjectionTime)
        .maxEjectionTime(maxEjectionTime)
        .maxEjectionPercent(maxEjectionPercent)
        .panicThresholdPercent(panicThresholdPercent);
  }

  /** Builds an {@link OutlierDetectionPolicy}. */
  public static final class Builder {
    private int consecutiveFailures = 5;
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofSeconds(300);
    private int maxEjectionPercent = 50;
    private int panicThresholdPercent = 50;

    private Builder() {}

    public Builder consecutiveFailures(int consecutiveFailures) {
      this.consecutiveFailures = consecutiveFailures;
      return this;
    }

    public Builder baseEjectionTime(Duration baseEjectionTime) {
      this.baseEjectionTime = Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
      return this;
    }

    public Builder maxEjectionTime(Duration maxEjectionTime) {
      this.maxEjectionTime = Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
      return this;
    }

    public Builder maxEjectionPercent(int maxEjectionPercent) {
      this.maxEjectionPercent = maxEjectionPercent;
      return this;
    }

    public Builder panicThresholdPercent(int panicThresholdPercent) {
      this.panicThresholdPercent = panicThresholdPercent;
      return this;
    }

    public OutlierDetectionPolicy build() {
      return new OutlierDetectionPolicy(
          consecutiveFailures,
          baseEjectionTime,
          maxEjectionTime,
          maxEjectionPercent,
          panicThresholdPercent);
    }
  }
}
