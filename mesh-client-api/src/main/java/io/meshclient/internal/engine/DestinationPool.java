package io.meshclient.internal.engine;

import io.meshclient.Endpoint;
import io.meshclient.RandomSource;
import io.meshclient.policy.LoadBalancerPolicy;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The endpoints one route destination selects, and the picker over those of them that are
 * available now. The picker is rebuilt (a rare, allocating path) when the service's health epoch
 * moves (an ejection, a breaker opening) or when an ejection or open breaker is due to end; the
 * request path only reads it.
 */
public final class DestinationPool {

  /** The picker and what it was built from. */
  static final class View {
    final Picker picker;
    final long epoch;
    final boolean expires;
    final long validUntil;
    final boolean panic;

    View(Picker picker, long epoch, boolean expires, long validUntil, boolean panic) {
      this.picker = picker;
      this.epoch = epoch;
      this.expires = expires;
      this.validUntil = validUntil;
      this.panic = panic;
    }
  }

  private final ServiceRuntime runtime;
  final EndpointState[] members;
  private final LoadBalancerPolicy lb;
  private final int panicThresholdPercent;
  private final PaddedCounter counter = new PaddedCounter();
  private volatile @Nullable View view;

  DestinationPool(
      ServiceRuntime runtime,
      EndpointState[] members,
      LoadBalancerPolicy lb,
      int panicThresholdPercent) {
    this.runtime = runtime;
    this.members = members;
    this.lb = lb;
    this.panicThresholdPercent = panicThresholdPercent;
  }

  /** The current view, rebuilt first if health changed. */
  View view(long nowNanos) {
    View v = view;
    if (v == null || v.epoch != runtime.healthEpoch() || (v.expires && nowNanos - v.validUntil >= 0)) {
      v = rebuild(nowNanos);
    }
    return v;
  }

  /** Whether the last built view ignores ejections because too few endpoints are available. */
  public boolean inPanic() {
    View v = view;
    return v != null && v.panic;
  }

  private View rebuild(long nowNanos) {
    long epoch = runtime.healthEpoch();
    List<EndpointState> available = new ArrayList<>(members.length);
    long soonest = Long.MAX_VALUE;
    boolean expires = false;
    for (EndpointState e : members) {
      if (e.breaker.halfOpenIfDue(nowNanos)) {
        // reported on this rare path (not in tryAcquire); the view counts it available already
        runtime.listener.onBreakerStateChange(runtime.name(), e, Endpoint.BreakerState.HALF_OPEN);
      }
      if (e.availableAt(nowNanos, false)) {
        available.add(e);
      }
      long next = e.nextChangeNanos(nowNanos, nowNanos + Long.MAX_VALUE / 4);
      if (next != nowNanos + Long.MAX_VALUE / 4) {
        if (!expires || next - soonest < 0) {
          soonest = next;
        }
        expires = true;
      }
    }
    boolean panic =
        members.length > 0
            && (long) available.size() * 100 < (long) panicThresholdPercent * members.length;
    List<EndpointState> candidates = available;
    if (panic) {
      // Envoy's panic mode: when too few are healthy, spread over all rather than overload few.
      candidates = new ArrayList<>(members.length);
      for (EndpointState e : members) {
        if (e.availableAt(nowNanos, true)) {
          candidates.add(e);
        }
      }
      if (candidates.isEmpty()) {
        candidates = List.of(members);
      }
    }
    String zone = runtime.localZone();
    if (lb.preferLocalZone() && !zone.isEmpty()) {
      List<EndpointState> local = new ArrayList<>(candidates.size());
      for (EndpointState e : candidates) {
        if (zone.equals(e.zone())) {
          local.add(e);
        }
      }
      if (!local.isEmpty()) {
        candidates = local;
      }
    }
    View v =
        new View(
            newPicker(candidates.toArray(new EndpointState[0])), epoch, expires, soonest, panic);
    view = v;
    return v;
  }

  private Picker newPicker(EndpointState[] eps) {
    return switch (lb.algorithm()) {
      case ROUND_ROBIN -> new Picker.RoundRobin(eps, counter);
      case WEIGHTED_ROUND_ROBIN -> new Picker.WeightedRoundRobin(eps, counter);
      case LEAST_REQUEST -> new Picker.LeastRequest(eps);
      case P2C_EWMA -> new Picker.P2cPeakEwma(eps, lb.ewmaDecay().toNanos());
      case RING_HASH -> new Picker.RingHash(eps, lb.ringSize());
    };
  }

  /**
   * Picks an endpoint, avoiding those in {@code avoid[0..avoidCount)} when another is available,
   * or returns null when the view is empty.
   */
  @Nullable EndpointState pick(
      long hash,
      boolean hasHash,
      long nowNanos,
      RandomSource random,
      EndpointState @Nullable [] avoid,
      int avoidCount) {
    Picker picker = view(nowNanos).picker;
    EndpointState[] eps = picker.endpoints;
    if (eps.length == 0) {
      return null;
    }
    if (avoidCount > 0 && avoid != null && picker.advancesSharedCursor()) {
      // A retry must not move the round-robin cursor: with two endpoints, one failing, every
      // call's first attempt would otherwise land on the failing one. Start anywhere instead.
      int start = random.nextInt(eps.length);
      for (int k = 0; k < eps.length; k++) {
        EndpointState e = eps[(start + k) % eps.length];
        if (!contains(avoid, avoidCount, e)) {
          return e;
        }
      }
      return eps[start];
    }
    int i = picker.pick(hash, hasHash, nowNanos, random);
    if (avoidCount == 0 || avoid == null || eps.length == 1 || !contains(avoid, avoidCount, eps[i])) {
      return eps[i];
    }
    // Rare path (a retry): prefer an endpoint not yet tried.
    if (picker instanceof Picker.RingHash ring && hasHash) {
      int j = ring.next(hash, i);
      if (!contains(avoid, avoidCount, eps[j])) {
        return eps[j];
      }
    }
    for (int tries = 0; tries < 3; tries++) {
      int j = picker.pick(hash, false, nowNanos, random);
      if (!contains(avoid, avoidCount, eps[j])) {
        return eps[j];
      }
    }
    for (int k = 1; k < eps.length; k++) {
      EndpointState e = eps[(i + k) % eps.length];
      if (!contains(avoid, avoidCount, e)) {
        return e;
      }
    }
    return eps[i];
  }

  /**
   * Rare path (a retry whose picker holds only endpoints the call could not connect to): a member
   * whose breaker admits calls and that is not in {@code skip}, although the view may leave it out
   * (ejected, or in another zone); null if none.
   */
  @Nullable EndpointState spare(long nowNanos, RandomSource random, EndpointState[] skip) {
    int n = members.length;
    if (n == 0) {
      return null;
    }
    int start = random.nextInt(n);
    for (int k = 0; k < n; k++) {
      EndpointState e = members[(start + k) % n];
      if (e.availableAt(nowNanos, true) && !contains(skip, skip.length, e)) {
        return e;
      }
    }
    return null;
  }

  private static boolean contains(EndpointState[] avoid, int count, EndpointState e) {
    for (int k = 0; k < count; k++) {
      if (avoid[k] == e) {
        return true;
      }
    }
    return false;
  }
}
