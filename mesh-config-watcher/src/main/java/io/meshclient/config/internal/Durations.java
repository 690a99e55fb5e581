package io.meshclient.config.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as policy files write them: a sequence of decimal numbers each with a unit, as in Go
 * and Envoy: {@code 2s}, {@code 500ms}, {@code 1m30s}, {@code 1.5s}, {@code 250us}; a bare {@code 0}
 * means zero. Units: ns, us (or µs), ms, s, m, h. A leading minus sign is accepted so that the
 * policy validator, not the parser, reports a negative value with its field.
 */
public final class Durations {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

  private Durations() {}

  /** Parses {@code text}; throws {@link IllegalArgumentException} with the expected form. */
  public static Duration parse(String text) {
    String s = text.trim();
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw invalid(text);
    }
    Matcher m = PART.matcher(s);
    BigDecimal nanos = BigDecimal.ZERO;
    int at = 0;
    while (at < s.length()) {
      if (!m.find(at) || m.start() != at) {
        throw invalid(text);
      }
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos(m.group(2)))));
      at = m.end();
    }
    long total;
    try {
      total = nanos.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration out of range, got '" + text + "'", e);
    }
    return Duration.ofNanos(negative ? -total : total);
  }

  /** The shortest exact form: {@code 2s}, {@code 500ms}, {@code 1m30s}, {@code 0}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    StringBuilder sb = new StringBuilder();
    if (d.isNegative()) {
      sb.append('-');
      d = d.negated();
    }
    long h = d.toHours();
    long m = d.toMinutesPart();
    long s = d.toSecondsPart();
    long n = d.toNanosPart();
    if (h > 0) {
      sb.append(h).append('h');
    }
    if (m > 0) {
      sb.append(m).append('m');
    }
    if (n == 0) {
      if (s > 0) {
        sb.append(s).append('s');
      }
    } else if (s == 0 && n % 1_000_000 == 0) {
      sb.append(n / 1_000_000).append("ms");
    } else if (s == 0 && n % 1_000 == 0) {
      sb.append(n / 1_000).append("us");
    } else if (s == 0) {
      sb.append(n).append("ns");
    } else {
      sb.append(BigDecimal.valueOf(s).add(BigDecimal.valueOf(n, 9)).stripTrailingZeros().toPlainString())
          .append('s');
    }
    return sb.toString();
  }

  private static long unitNanos(String unit) {
    switch (unit) {
      case "ns":
        return 1L;
      case "us":
      case "µs":
        return 1_000L;
      case "ms":
        return 1_000_000L;
      case "s":
        return 1_000_000_000L;
      case "m":
        return 60_000_000_000L;
      case "h":
        return 3_600_000_000_000L;
      default:
        throw new AssertionError(unit);
    }
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "not a duration, got '" + text + "' (expected: a number with a unit, e.g. 2s, 500ms, 1m30s)");
  }

  /** The protobuf form. */
  public static com.google.protobuf.Duration toProto(Duration d) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }

  /** From the protobuf form. */
  public static Duration fromProto(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
