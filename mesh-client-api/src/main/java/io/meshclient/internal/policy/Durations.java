package io.meshclient.internal.policy;

import java.time.Duration;

/** Durations written as the policy files write them ({@code 2s}, {@code 500ms}, {@code -1s}). */
public final class Durations {
  private Durations() {}

  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    String sign = d.isNegative() ? "-" : "";
    Duration a = d.abs();
    long nanos = a.toNanos();
    if (nanos % 1_000_000_000L == 0) {
      long s = a.getSeconds();
      if (s % 3600 == 0) {
        return sign + (s / 3600) + "h";
      }
      if (s % 60 == 0) {
        return sign + (s / 60) + "m";
      }
      return sign + s + "s";
    }
    if (nanos % 1_000_000L == 0) {
      return sign + (nanos / 1_000_000L) + "ms";
    }
    if (nanos % 1_000L == 0) {
      return sign + (nanos / 1_000L) + "us";
    }
    return sign + nanos + "ns";
  }
}
