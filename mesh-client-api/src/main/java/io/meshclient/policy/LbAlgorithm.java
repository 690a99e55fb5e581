package io.meshclient.policy;

/** Load-balancing algorithms. */
public enum LbAlgorithm {
  /** Each endpoint in turn. */
  ROUND_ROBIN,
  /** Smooth weighted round robin (earliest deadline first): no bursts to heavy endpoints. */
  WEIGHTED_ROUND_ROBIN,
  /** Power of two choices on the number of requests in flight. */
  LEAST_REQUEST,
  /** Power of two choices on peak-EWMA latency times load (Finagle, Linkerd). */
  P2C_EWMA,
  /** Consistent hashing of a request header onto a ring of virtual nodes. */
  RING_HASH
}
