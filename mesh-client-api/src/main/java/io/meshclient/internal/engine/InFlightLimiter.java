package io.meshclient.internal.engine;

/**
 * A service's in-flight count under a limit (Envoy's {@code max_requests}), striped so that
 * threads far below the limit never touch a shared cache line: each thread counts on its own
 * stripe and sums all stripes only once its stripe holds more than its share of the limit. A
 * small limit is therefore checked exactly on every call, a large one cheaply; near the limit two
 * racing calls may both be refused, never both admitted past it by more than the racing few.
 */
final class InFlightLimiter {
  private static final int STRIPES = stripes();
  private final PaddedCounter[] counters = new PaddedCounter[STRIPES];

  InFlightLimiter() {
    for (int i = 0; i < STRIPES; i++) {
      counters[i] = new PaddedCounter();
    }
  }

  private static int stripes() {
    int n = Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors()) * 4 - 1) << 1;
    return Math.min(n, 64);
  }

  /** Takes a slot; returns the stripe to release it on, or -1 when the limit is reached. */
  int tryAcquire(int limit) {
    int stripe = (Thread.currentThread().hashCode() * 0x9E3779B9 >>> 16) & (STRIPES - 1);
    int local = counters[stripe].incrementAndGet();
    if ((long) local * STRIPES > limit && sum() > limit) {
      counters[stripe].decrement();
      return -1;
    }
    return stripe;
  }

  void release(int stripe) {
    counters[stripe].decrement();
  }

  int sum() {
    int s = 0;
    for (PaddedCounter c : counters) {
      s += c.get();
    }
    return s;
  }
}
