package io.meshclient.internal.engine;

import io.meshclient.Endpoint.BreakerState;

/** An endpoint's failure-rate breaker. {@link #DISABLED} when the policy turns it off. */
abstract class Breaker {

  /** Admits everything, records nothing: a disabled breaker costs nothing. */
  static final Breaker DISABLED =
      new Breaker() {
        @Override
        boolean tryAcquire(long nowNanos) {
          return true;
        }

        @Override
        int onResult(boolean failure, long nowNanos) {
          return NO_CHANGE;
        }

        @Override
        void onAbandoned() {}

        @Override
        BreakerState state() {
          return BreakerState.DISABLED;
        }

        @Override
        boolean availableAt(long nowNanos) {
          return true;
        }

        @Override
        long openUntilNanos() {
          return Long.MIN_VALUE;
        }
      };

  static final int NO_CHANGE = 0;
  static final int OPENED = 1;
  static final int CLOSED = 2;
  static final int HALF_OPENED = 3;

  /** Whether a call may go to the endpoint now; takes a half-open trial permit if needed. */
  abstract boolean tryAcquire(long nowNanos);

  /** Records an outcome; returns one of the transition codes. */
  abstract int onResult(boolean failure, long nowNanos);

  /** An admitted call ended without an outcome to judge (cancelled): give back its permit. */
  abstract void onAbandoned();

  abstract BreakerState state();

  /** Whether the endpoint is worth picking at {@code nowNanos} (closed, half-open, or open but due). */
  abstract boolean availableAt(long nowNanos);

  /** While open: when the breaker will let trial calls through. */
  abstract long openUntilNanos();

  /**
   * Moves an open breaker whose open time is over to half-open; true for the one caller that
   * made the move, so it can report the transition. Called on the rare path (picker rebuild).
   */
  boolean halfOpenIfDue(long nowNanos) {
    return false;
  }
}
