package io.meshclient.internal.engine;

import io.meshclient.Endpoint.BreakerState;
import io.meshclient.policy.CircuitBreakerPolicy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A lock-free, count-based failure-rate breaker with resilience4j's vocabulary (sliding window,
 * minimum calls, failure-rate threshold, wait in open state, permitted calls in half-open state).
 *
 * <p>Why not resilience4j's own: its {@code onSuccess} takes a lock and allocates a snapshot per
 * call. Here the window is a ring of bytes allocated once; a record is one counter increment and
 * one atomic swap in the ring, and the failure count is adjusted only when a slot changes value.
 * A closed breaker admits with a single volatile read.
 */
final class FailureRateBreaker extends Breaker {

  private static final VarHandle RING = MethodHandles.arrayElementVarHandle(byte[].class);
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(FailureRateBreaker.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final int S_CLOSED = 0;
  private static final int S_OPEN = 1;
  private static final int S_HALF_OPEN = 2;

  final CircuitBreakerPolicy policy;
  private final int window;
  private final int minimumCalls;
  private final int thresholdPercent;
  private final long openNanos;
  private final int halfOpenCalls;

  private final byte[] ring;
  private final AtomicInteger cursor = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger halfOpenPermits = new AtomicInteger();
  private final AtomicInteger halfOpenSuccesses = new AtomicInteger();

  private volatile int state = S_CLOSED;
  private volatile long openUntil;

  FailureRateBreaker(CircuitBreakerPolicy policy) {
    this.policy = policy;
    this.window = policy.window();
    this.minimumCalls = policy.minimumCalls();
    this.thresholdPercent = policy.failureRateThreshold();
    this.openNanos = policy.openDuration().toNanos();
    this.halfOpenCalls = policy.halfOpenCalls();
    this.ring = new byte[window];
  }

  @Override
  boolean tryAcquire(long nowNanos) {
    int s = state;
    if (s == S_CLOSED) {
      return true;
    }
    if (s == S_OPEN) {
      if (nowNanos - openUntil < 0) {
        return false;
      }
      halfOpenIfDue(nowNanos); // normally the picker rebuild at openUntil did it already
    }
    // half-open: a limited number of trial calls. Never below zero, so that a permit given back
    // by an abandoned trial is not swallowed by the refusals counted meanwhile.
    for (int p = halfOpenPermits.get(); p > 0; p = halfOpenPermits.get()) {
      if (halfOpenPermits.compareAndSet(p, p - 1)) {
        return true;
      }
    }
    return false;
  }

  @Override
  boolean halfOpenIfDue(long nowNanos) {
    if (state != S_OPEN || nowNanos - openUntil < 0) {
      return false;
    }
    if (!STATE.compareAndSet(this, S_OPEN, S_HALF_OPEN)) {
      return false;
    }
    halfOpenSuccesses.set(0);
    halfOpenPermits.set(halfOpenCalls);
    return true;
  }

  @Override
  int onResult(boolean failure, long nowNanos) {
    int s = state;
    if (s == S_HALF_OPEN) {
      if (failure) {
        return open(S_HALF_OPEN, nowNanos) ? OPENED : NO_CHANGE;
      }
      if (halfOpenSuccesses.incrementAndGet() >= halfOpenCalls
          && STATE.compareAndSet(this, S_HALF_OPEN, S_CLOSED)) {
        resetWindow();
        return CLOSED;
      }
      return NO_CHANGE;
    }
    if (s == S_OPEN) {
      return NO_CHANGE; // a straggler admitted before the breaker opened
    }
    byte value = failure ? (byte) 1 : (byte) 0;
    int index = cursor.getAndIncrement();
    byte old = (byte) RING.getAndSet(ring, Math.floorMod(index, window), value);
    if (old != value) {
      int f = failures.addAndGet(failure ? 1 : -1);
      if (failure) {
        int calls = index + 1 < 0 || index + 1 > window ? window : index + 1;
        if (calls >= minimumCalls && (long) f * 100 >= (long) thresholdPercent * calls) {
          return open(S_CLOSED, nowNanos) ? OPENED : NO_CHANGE;
        }
      }
    } else if (!failure && index + 1 == minimumCalls) {
      // The minimum reached by a success: judge the failures before it once (as resilience4j
      // does). Later successes only lower the rate, so no other success needs a check.
      if ((long) failures.get() * 100 >= (long) thresholdPercent * minimumCalls) {
        return open(S_CLOSED, nowNanos) ? OPENED : NO_CHANGE;
      }
    }
    return NO_CHANGE;
  }

  private boolean open(int from, long nowNanos) {
    openUntil = nowNanos + openNanos;
    return STATE.compareAndSet(this, from, S_OPEN);
  }

  private void resetWindow() {
    for (int i = 0; i < window; i++) {
      RING.setVolatile(ring, i, (byte) 0);
    }
    failures.set(0);
    cursor.set(0);
  }

  @Override
  void onAbandoned() {
    if (state == S_HALF_OPEN) {
      halfOpenPermits.incrementAndGet();
    }
  }

  @Override
  BreakerState state() {
    return switch (state) {
      case S_OPEN -> BreakerState.OPEN;
      case S_HALF_OPEN -> BreakerState.HALF_OPEN;
      default -> BreakerState.CLOSED;
    };
  }

  @Override
  boolean availableAt(long nowNanos) {
    return state != S_OPEN || nowNanos - openUntil >= 0;
  }

  @Override
  long openUntilNanos() {
    return openUntil;
  }
}
