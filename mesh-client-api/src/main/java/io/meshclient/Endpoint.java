package io.meshclient;

import java.util.Map;

/**
 * One instance of a service, as the engine sees it. The same object stands for the same address
 * across policy updates, so adapters may cache per-endpoint resources (a gRPC subchannel, an
 * OkHttp URL) keyed by identity. The state accessors read live values.
 */
public interface Endpoint {

  /** The service this endpoint serves. */
  String service();

  /** Host name or IP literal (without brackets). */
  String host();

  int port();

  /** {@code host:port}, IPv6 literals bracketed. */
  String address();

  /** The endpoint's zone, or the empty string. */
  String zone();

  Map<String, String> labels();

  int weight();

  /** Attempts in flight now. */
  int inFlight();

  /** The peak-EWMA latency in nanoseconds (0 before the first sample). */
  long latencyEwmaNanos();

  BreakerState breakerState();

  /** Whether outlier detection has ejected this endpoint at ticker time {@code nowNanos}. */
  boolean isEjected(long nowNanos);

  /** How many times outlier detection ejected this endpoint. */
  int ejectionCount();

  /** A failure-rate breaker's states. */
  enum BreakerState {
    CLOSED,
    OPEN,
    HALF_OPEN,
    /** The policy disables the failure-rate breaker. */
    DISABLED
  }
}
