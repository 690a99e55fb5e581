package io.meshclient.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * When and how a failed attempt is tried again.
 *
 * <p>{@code retryOn} names the conditions that make an attempt retryable:
 *
 * <ul>
 *   <li>{@code connect-failure}: the connection could not be made; always safe, nothing was sent;
 *   <li>{@code refused-stream}: the server refused the stream before processing (HTTP/2 REFUSED_STREAM);
 *       always safe;
 *   <li>{@code reset}: the connection was reset or closed after the request may have been sent;
 *   <li>{@code timeout}: the per-try timeout expired;
 *   <li>{@code 5xx}: any HTTP 5xx; {@code gateway-error}: 502, 503, 504; or an HTTP status code
 *       such as {@code 503} or {@code 429};
 *   <li>a gRPC status name such as {@code UNAVAILABLE} or {@code RESOURCE_EXHAUSTED}.
 * </ul>
 *
 * <p>Conditions other than the two "always safe" ones are retried only for idempotent requests
 * (see DESIGN.md §3). A retry never starts if it cannot finish before the call's deadline, and
 * every retry must be paid for by the service's {@link RetryBudgetPolicy budget}.
 *
 * @param maxAttempts attempts in all, the first included (1 = no retries; default 2)
 * @param perTryTimeout the limit for one attempt; {@link Duration#ZERO} for none (default)
 * @param retryOn the retryable conditions
 * @param backoff the wait between attempts
 * @param budget the cap on retries
 */
public record RetryPolicy(
    int maxAttempts,
    Duration perTryTimeout,
    List<String> retryOn,
    BackoffPolicy backoff,
    RetryBudgetPolicy budget) {

  public static final List<String> DEFAULT_RETRY_ON =
      List.of("connect-failure", "refused-stream", "reset", "503", "UNAVAILABLE");

  /** Two attempts on connection failures, resets, 503 and UNAVAILABLE, within the default budget. */
  public static final RetryPolicy DEFAULT = builder().build();

  /** Never retries. */
  public static final RetryPolicy NONE = builder().maxAttempts(1).retryOn(List.of()).build();

  public RetryPolicy {
    Objects.requireNonNull(perTryTimeout, "perTryTimeout");
    retryOn = List.copyOf(retryOn);
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(budget, "budget");
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .maxAttempts(maxAttempts)
        .perTryTimeout(perTryTimeout)
        .retryOn(retryOn)
        .backoff(backoff)
        .budget(budget);
  }

  /** Builds a {@link RetryPolicy}. */
  public static final class Builder {
    private int maxAttempts = 2;
    private Duration perTryTimeout = Duration.ZERO;
    private List<String> retryOn = DEFAULT_RETRY_ON;
    private BackoffPolicy backoff = BackoffPolicy.DEFAULT;
    private RetryBudgetPolicy budget = RetryBudgetPolicy.DEFAULT;

    private Builder() {}

    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder perTryTimeout(Duration perTryTimeout) {
      this.perTryTimeout = Objects.requireNonNull(perTryTimeout, "perTryTimeout");
      return this;
    }

    public Builder retryOn(List<String> retryOn) {
      this.retryOn = List.copyOf(retryOn);
      return this;
    }

    public Builder retryOn(String... retryOn) {
      return retryOn(List.of(retryOn));
    }

    public Builder backoff(BackoffPolicy backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    public Builder budget(RetryBudgetPolicy budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    public RetryPolicy build() {
      return new RetryPolicy(maxAttempts, perTryTimeout, retryOn, backoff, budget);
    }
  }
}
