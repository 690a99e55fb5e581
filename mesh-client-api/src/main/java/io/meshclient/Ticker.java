package io.meshclient;

/**
 * A source of monotonic nanoseconds, injected so that time-dependent behaviour (breakers,
 * ejections, budgets, backoff, latency averages) can be tested on a fake clock.
 */
@FunctionalInterface
public interface Ticker {

  /** Nanoseconds from an arbitrary origin; only differences are meaningful. */
  long read();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}

enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long read() {
    return System.nanoTime();
  }
}
