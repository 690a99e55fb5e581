package io.meshclient.testing;

import io.meshclient.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ticker that moves only when a test moves it, so breakers, ejections, budgets and backoff can be
 * stepped to just before and just past each boundary. Starts at an arbitrary non-zero origin to
 * catch code that treats 0 as "never".
 */
public final class FakeTicker implements Ticker {

  private final AtomicLong nanos;

  public FakeTicker() {
    this(1_000_000_000_000L);
  }

  public FakeTicker(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long read() {
    return nanos.get();
  }

  public FakeTicker advance(Duration d) {
    return advanceNanos(d.toNanos());
  }

  public FakeTicker advanceNanos(long delta) {
    if (delta < 0) {
      throw new IllegalArgumentException("a ticker never goes back, got " + delta + " ns");
    }
    nanos.addAndGet(delta);
    return this;
  }
}
