package io.meshclient.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Admission control: a concurrency limit per service (Envoy's {@code max_requests}) and a
 * failure-rate breaker per endpoint (resilience4j's count-based breaker vocabulary).
 *
 * <p>An endpoint's breaker opens when, over its last {@code window} recorded calls (and at least
 * {@code minimumCalls} of them), the failure percentage reaches {@code failureRateThreshold}. It
 * stays open for {@code openDuration}, then lets {@code halfOpenCalls} trial calls through; if they
 * all succeed it closes, any failure opens it again.
 *
 * @param failureRateThreshold percent in (0, 100] (default 50)
 * @param window the count-based sliding window (default 100)
 * @param minimumCalls calls needed before the rate is judged, in [1, window] (default 20)
 * @param openDuration how long an open breaker refuses calls (default 30 s)
 * @param halfOpenCalls trial calls in half-open state (default 5)
 * @param maxConcurrentRequests in-flight requests allowed to the whole service (default 1024)
 */
public record CircuitBreakerPolicy(
    int failureRateThreshold,
    int window,
    int minimumCalls,
    Duration openDuration,
    int halfOpenCalls,
    int maxConcurrentRequests) {

  public static final CircuitBreakerPolicy DEFAULT = builder().build();

  public CircuitBreakerPolicy {
    Objects.requireNonNull(openDuration, "openDuration");
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .failureRateThreshold(failureRateThreshold)
        .window(window)
        .minimumCalls(minimumCalls)
        .openDuration(openDuration)
        .halfOpenCalls(halfOpenCalls)
        .maxConcurrentRequests(maxConcurrentRequests);
  }

  /** Builds a {@link CircuitBreakerPolicy}. */
  public static final class Builder {
    private int failureRateThreshold = 50;
    private int window = 100;
    private int minimumCalls = 20;
    private Duration openDuration = Duration.ofSeconds(30);
    private int halfOpenCalls = 5;
    private int maxConcurrentRequests = 1024;

    private Builder() {}

    public Builder failureRateThreshold(int percent) {
      this.failureRateThreshold = percent;
      return this;
    }

    public Builder window(int window) {
      this.window = window;
      return this;
    }

    public Builder minimumCalls(int minimumCalls) {
      this.minimumCalls = minimumCalls;
      return this;
    }

    public Builder openDuration(Duration openDuration) {
      this.openDuration = Objects.requireNonNull(openDuration, "openDuration");
      return this;
    }

    public Builder halfOpenCalls(int halfOpenCalls) {
      this.halfOpenCalls = halfOpenCalls;
      return this;
    }

    public Builder maxConcurrentRequests(int maxConcurrentRequests) {
      this.maxConcurrentRequests = maxConcurrentRequests;
      return this;
    }

    public CircuitBreakerPolicy build() {
      return new CircuitBreakerPolicy(
          failureRateThreshold,
          window,
          minimumCalls,
          openDuration,
          halfOpenCalls,
          maxConcurrentRequests);
    }
  }
}
