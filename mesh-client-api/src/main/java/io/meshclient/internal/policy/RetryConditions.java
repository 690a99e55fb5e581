package io.meshclient.internal.policy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The vocabulary of {@code retry.retryOn}, compiled to flags and status bit sets so the engine
 * answers "is this retryable" with a few bit tests.
 */
public final class RetryConditions {

  /** gRPC status code names, indexed by code (grpc-java's {@code Status.Code} order). */
  public static final List<String> GRPC_CODES =
      List.of(
          "OK",
          "CANCELLED",
          "UNKNOWN",
          "INVALID_ARGUMENT",
          "DEADLINE_EXCEEDED",
          "NOT_FOUND",
          "ALREADY_EXISTS",
          "PERMISSION_DENIED",
          "RESOURCE_EXHAUSTED",
          "FAILED_PRECONDITION",
          "ABORTED",
          "OUT_OF_RANGE",
          "UNIMPLEMENTED",
          "INTERNAL",
          "UNAVAILABLE",
          "DATA_LOSS",
          "UNAUTHENTICATED");

  public static final String CONNECT_FAILURE = "connect-failure";
  public static final String REFUSED_STREAM = "refused-stream";
  public static final String RESET = "reset";
  public static final String TIMEOUT = "timeout";
  public static final String ANY_5XX = "5xx";
  public static final String GATEWAY_ERROR = "gateway-error";

  /** Every condition word other than status codes and gRPC names, for error messages. */
  public static final List<String> WORDS =
      List.of(CONNECT_FAILURE, REFUSED_STREAM, RESET, TIMEOUT, ANY_5XX, GATEWAY_ERROR);

  public final boolean connectFailure;
  public final boolean refusedStream;
  public final boolean reset;
  public final boolean timeout;
  /** Bit {@code s - 400} set when HTTP status {@code s} (400..599) is retryable. */
  private final long[] httpStatusBits = new long[4];
  /** Bit {@code c} set when gRPC code {@code c} is retryable. */
  public final int grpcCodeBits;

  private RetryConditions(List<String> conditions) {
    boolean connect = false;
    boolean refused = false;
    boolean rst = false;
    boolean to = false;
    int grpc = 0;
    for (String c : conditions) {
      switch (c) {
        case CONNECT_FAILURE -> connect = true;
        case REFUSED_STREAM -> refused = true;
        case RESET -> rst = true;
        case TIMEOUT -> to = true;
        case ANY_5XX -> {
          for (int s = 500; s < 600; s++) {
            setHttp(s);
          }
        }
        case GATEWAY_ERROR -> {
          setHttp(502);
          setHttp(503);
          setHttp(504);
        }
        default -> {
          int code = GRPC_CODES.indexOf(c);
          if (code >= 0) {
            grpc |= 1 << code;
          } else {
            setHttp(Integer.parseInt(c));
          }
        }
      }
    }
    this.connectFailure = connect;
    this.refusedStream = refused;
    this.reset = rst;
    this.timeout = to;
    this.grpcCodeBits = grpc;
  }

  /** Compiles already validated conditions. */
  public static RetryConditions compile(List<String> conditions) {
    return new RetryConditions(conditions);
  }

  /** Why {@code condition} is not a valid retry condition, or null when it is. */
  public static @Nullable String problem(String condition) {
    if (WORDS.contains(condition) || GRPC_CODES.contains(condition)) {
      return null;
    }
    if (condition.length() == 3 && condition.chars().allMatch(Character::isDigit)) {
      int status = Integer.parseInt(condition);
      if (status >= 400 && status <= 599) {
        return null;
      }
      return "HTTP status must be in [400, 599], got " + condition;
    }
    return "unknown condition '"
        + condition
        + "' (expected: one of "
        + String.join(", ", WORDS)
        + ", an HTTP status 400-599, or a gRPC status name such as UNAVAILABLE)";
  }

  private void setHttp(int status) {
    int bit = status - 400;
    httpStatusBits[bit >>> 6] |= 1L << (bit & 63);
  }

  /** Whether HTTP status {@code status} is retryable. */
  public boolean httpStatus(int status) {
    int bit = status - 400;
    return bit >= 0 && bit < 200 && (httpStatusBits[bit >>> 6] & (1L << (bit & 63))) != 0;
  }

  /** Whether gRPC status code {@code code} is retryable. */
  public boolean grpcCode(int code) {
    return code >= 0 && code < 32 && (grpcCodeBits & (1 << code)) != 0;
  }
}
