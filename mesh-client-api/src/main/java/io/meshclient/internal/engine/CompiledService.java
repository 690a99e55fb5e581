package io.meshclient.internal.engine;

import io.meshclient.internal.policy.RetryConditions;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import org.jspecify.annotations.Nullable;

/**
 * One service's policy compiled for the request path: arrays instead of lists, nanos instead of
 * durations, bit sets instead of condition names. Immutable; replaced whole on every update.
 */
public final class CompiledService {
  public final ServicePolicy policy;
  public final ServiceRuntime runtime;
  final EndpointState[] endpoints;
  final CompiledRoute[] routes;
  final RetryConditions retryOn;
  final int maxAttempts;
  final long perTryTimeoutNanos;
  final long timeoutNanos;
  final long backoffBaseNanos;
  final long backoffMaxNanos;
  final int maxConcurrentRequests;
  final @Nullable String hashHeader;
  final double ewmaTauNanos;
  final boolean recordsLatency;

  CompiledService(
      ServicePolicy policy,
      ServiceRuntime runtime,
      EndpointState[] endpoints,
      CompiledRoute[] routes) {
    this.policy = policy;
    this.runtime = runtime;
    this.endpoints = endpoints;
    this.routes = routes;
    RetryPolicy retry = policy.retry();
    this.retryOn = RetryConditions.compile(retry.retryOn());
    this.maxAttempts = retry.maxAttempts();
    this.perTryTimeoutNanos = retry.perTryTimeout().toNanos();
    this.timeoutNanos = policy.timeout().toNanos();
    this.backoffBaseNanos = retry.backoff().base().toNanos();
    this.backoffMaxNanos = retry.backoff().max().toNanos();
    this.maxConcurrentRequests = policy.circuitBreaker().maxConcurrentRequests();
    this.hashHeader =
        policy.loadBalancer().algorithm() == LbAlgorithm.RING_HASH
            ? policy.loadBalancer().hashHeader()
            : null;
    this.ewmaTauNanos = policy.loadBalancer().ewmaDecay().toNanos();
    this.recordsLatency = policy.loadBalancer().algorithm() == LbAlgorithm.P2C_EWMA;
  }

  /** All endpoints of the service in this snapshot. */
  public EndpointState[] endpoints() {
    return endpoints.clone();
  }

  /** The destination pools of every route, for status views. */
  public DestinationPool[] pools() {
    int n = 0;
    for (CompiledRoute r : routes) {
      n += r.pools.length;
    }
    DestinationPool[] out = new DestinationPool[n];
    int i = 0;
    for (CompiledRoute r : routes) {
      for (DestinationPool p : r.pools) {
        out[i++] = p;
      }
    }
    return out;
  }
}
