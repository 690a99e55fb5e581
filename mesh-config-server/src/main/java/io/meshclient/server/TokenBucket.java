package io.meshclient.server;

/** A request limit: a bucket refilled at {@code rate} per second, holding at most {@code burst}. */
final class TokenBucket {

  private final double rate;
  private final double burst;
  private double tokens;
  private long lastRefill = System.nanoTime();

  TokenBucket(double rate, double burst) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
  }

  synchronized boolean tryAcquire() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - lastRefill) / 1e9 * rate);
    lastRefill = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** True when the bucket is full again: nothing to remember about its user. */
  synchronized boolean idle() {
    return tokens + (System.nanoTime() - lastRefill) / 1e9 * rate >= burst;
  }

  /** "50/s, burst 100", for error messages. */
  String describe() {
    return (long) rate + "/s, burst " + (long) burst;
  }
}
