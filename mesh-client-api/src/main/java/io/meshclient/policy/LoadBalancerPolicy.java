package io.meshclient.policy;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a service's endpoints are chosen.
 *
 * @param algorithm the algorithm
 * @param hashHeader for {@link LbAlgorithm#RING_HASH}: the request header whose value is hashed
 *     (required for RING_HASH, not allowed otherwise)
 * @param ringSize for RING_HASH: the virtual nodes of each endpoint of the highest weight (others
 *     in proportion to weight; default 128), so that a join or leave moves only ~1/N of keys
 * @param ewmaDecay for P2C_EWMA: the time constant of the latency average (Finagle's 10 s)
 * @param preferLocalZone send to the caller's own zone while an endpoint there is available
 */
public record LoadBalancerPolicy(
    LbAlgorithm algorithm,
    @Nullable String hashHeader,
    int ringSize,
    Duration ewmaDecay,
    boolean preferLocalZone) {

  public static final int DEFAULT_RING_SIZE = 128;
  public static final Duration DEFAULT_EWMA_DECAY = Duration.ofSeconds(10);

  /** Round robin with zone preference: the default when a policy names no balancer. */
  public static final LoadBalancerPolicy DEFAULT = builder().build();

  public LoadBalancerPolicy {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(ewmaDecay, "ewmaDecay");
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .algorithm(algorithm)
        .hashHeader(hashHeader)
        .ringSize(ringSize)
        .ewmaDecay(ewmaDecay)
        .preferLocalZone(preferLocalZone);
  }

  /** Builds a {@link LoadBalancerPolicy}. */
  public static final class Builder {
    private LbAlgorithm algorithm = LbAlgorithm.ROUND_ROBIN;
    private @Nullable String hashHeader;
    private int ringSize = DEFAULT_RING_SIZE;
    private Duration ewmaDecay = DEFAULT_EWMA_DECAY;
    private boolean preferLocalZone = true;

    private Builder() {}

    public Builder algorithm(LbAlgorithm algorithm) {
      this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
      return this;
    }

    public Builder hashHeader(@Nullable String hashHeader) {
      this.hashHeader = hashHeader;
      return this;
    }

    public Builder ringSize(int ringSize) {
      this.ringSize = ringSize;
      return this;
    }

    public Builder ewmaDecay(Duration ewmaDecay) {
      this.ewmaDecay = Objects.requireNonNull(ewmaDecay, "ewmaDecay");
      return this;
    }

    public Builder preferLocalZone(boolean preferLocalZone) {
      this.preferLocalZone = preferLocalZone;
      return this;
    }

    public LoadBalancerPolicy build() {
      return new LoadBalancerPolicy(algorithm, hashHeader, ringSize, ewmaDecay, preferLocalZone);
    }
  }
}
