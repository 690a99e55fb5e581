package io.meshclient.internal.engine;

import io.meshclient.policy.RetryBudgetPolicy;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Retries allowed as a share of requests over a sliding window of one-second buckets, plus a
 * per-second floor (Finagle's {@code RetryBudget}: ratio 0.2, 10/s, 10 s).
 *
 * <p>Every request deposits into the current bucket (one striped {@link LongAdder} increment, so two
 * threads do not fight over one cache line); only a retry reads the whole window. A bucket is
 * recycled by the first thread that sees it belongs to an old second. Counts are approximate at a
 * bucket boundary, which a budget tolerates.
 */
public final class RetryBudget {

  private static final long SECOND = 1_000_000_000L;

  private final int buckets;
  private final double ratio;
  private final long floor;
  private final LongAdder[] requests;
  private final LongAdder[] retries;
  private final AtomicLongArray bucketSecond;

  RetryBudget(RetryBudgetPolicy policy) {
    this.buckets = (int) policy.window().toSeconds();
    this.ratio = policy.ratio();
    this.floor = (long) policy.minPerSecond() * buckets;
    this.requests = new LongAdder[buckets];
    this.retries = new LongAdder[buckets];
    this.bucketSecond = new AtomicLongArray(buckets);
    for (int i = 0; i < buckets; i++) {
      requests[i] = new LongAdder();
      retries[i] = new LongAdder();
      bucketSecond.set(i, Long.MIN_VALUE);
    }
  }

  boolean sameConfig(RetryBudgetPolicy policy) {
    return policy.window().toSeconds() == buckets
        && policy.ratio() == ratio
        && (long) policy.minPerSecond() * buckets == floor;
  }

  private int bucket(long nowNanos) {
    long second = Math.floorDiv(nowNanos, SECOND);
    int i = (int) Math.floorMod(second, (long) buckets);
    long seen = bucketSecond.get(i);
    if (seen != second && bucketSecond.compareAndSet(i, seen, second)) {
      requests[i].reset();
      retries[i].reset();
    }
    return i;
  }

  /** Records a request (a first attempt). */
  void deposit(long nowNanos) {
    requests[bucket(nowNanos)].increment();
  }

  /** Takes one retry from the budget if the window allows it. */
  boolean tryWithdraw(long nowNanos) {
    int current = bucket(nowNanos);
    long second = Math.floorDiv(nowNanos, SECOND);
    long req = 0;
    long ret = 0;
    for (int i = 0; i < buckets; i++) {
      long s = bucketSecond.get(i);
      if (s != Long.MIN_VALUE && second - s < buckets && second - s >= 0) {
        req += requests[i].sum();
        ret += retries[i].sum();
      }
    }
    if (ret + 1 > ratio * req + floor) {
      return false;
    }
    retries[current].increment();
    return true;
  }

  /** Retries granted in the window now, for status views. */
  public long retriesInWindow(long nowNanos) {
    long second = Math.floorDiv(nowNanos, SECOND);
    long ret = 0;
    for (int i = 0; i < buckets; i++) {
      long s = bucketSecond.get(i);
      if (s != Long.MIN_VALUE && second - s < buckets && second - s >= 0) {
        ret += retries[i].sum();
      }
    }
    return ret;
  }
}
