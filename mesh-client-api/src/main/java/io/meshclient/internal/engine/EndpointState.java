package io.meshclient.internal.engine;

import io.meshclient.Endpoint;
import io.meshclient.internal.policy.HostAndPort;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.OutlierDetectionPolicy;
import java.util.Map;

/**
 * One endpoint's identity and live state: in-flight count, peak-EWMA latency, breaker and outlier
 * ejection. Lives as long as the address stays in the service, across policy updates.
 *
 * <p>The in-flight counter and the consecutive-failure counter are written by every attempt; they
 * sit on their own cache line (see {@link PadLeft}).
 */
public final class EndpointState extends EndpointStateCold implements Endpoint {

  EndpointState(String service, HostAndPort address, EndpointSpec spec) {
    super(service, address, spec);
  }

  @Override
  public String service() {
    return service;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public String zone() {
    return spec.zone();
  }

  @Override
  public Map<String, String> labels() {
    return spec.labels();
  }

  @Override
  public int weight() {
    return spec.weight();
  }

  @Override
  public int inFlight() {
    return (int) IN_FLIGHT.getVolatile(this);
  }

  @Override
  public long latencyEwmaNanos() {
    return (long) Double.longBitsToDouble(ewmaBits);
  }

  @Override
  public BreakerState breakerState() {
    return breaker.state();
  }

  @Override
  public boolean isEjected(long nowNanos) {
    long until = ejectedUntil;
    return until != 0 && nowNanos - until < 0;
  }

  @Override
  public int ejectionCount() {
    return ejections;
  }

  @Override
  public String toString() {
    return service + "/" + address;
  }

  // ---- engine side ----

  void configure(
      EndpointSpec spec, CircuitBreakerPolicy breakerPolicy, OutlierDetectionPolicy outlier) {
    this.spec = spec;
    this.outlier = outlier;
    Breaker current = breaker;
    boolean enabled = breakerPolicy.failureRateThreshold() > 0;
    if (!enabled) {
      breaker = Breaker.DISABLED;
    } else if (!(current instanceof FailureRateBreaker frb) || !frb.policy.equals(breakerPolicy)) {
      // A changed breaker configuration starts a fresh window; unchanged ones keep their state.
      breaker = new FailureRateBreaker(breakerPolicy);
    }
  }

  void incrementInFlight() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  void decrementInFlight() {
    IN_FLIGHT.getAndAdd(this, -1);
  }

  /** Whether the picker may consider this endpoint now. */
  boolean availableAt(long nowNanos, boolean ignoreEjection) {
    return (ignoreEjection || !isEjected(nowNanos)) && breaker.availableAt(nowNanos);
  }

  /** When this endpoint's availability next changes by itself (ejection or open breaker ends). */
  long nextChangeNanos(long nowNanos, long sooner) {
    long until = ejectedUntil;
    if (until != 0 && nowNanos - until < 0 && until - sooner < 0) {
      sooner = until;
    }
    if (!breaker.availableAt(nowNanos)) {
      long open = breaker.openUntilNanos();
      if (open - sooner < 0) {
        sooner = open;
      }
    }
    return sooner;
  }

  /** Peak EWMA (Finagle's PeakEwma): a slower sample is taken at once, faster ones decay in. */
  void recordLatency(long rttNanos, long nowNanos, double tauNanos) {
    double rtt = rttNanos;
    double ewma = Double.longBitsToDouble(ewmaBits);
    long elapsed = nowNanos - ewmaStamp;
    ewmaStamp = nowNanos;
    if (rtt > ewma) {
      ewmaBits = Double.doubleToRawLongBits(rtt);
    } else {
      double w = elapsed <= 0 ? 1.0 : decay(elapsed / tauNanos);
      ewmaBits = Double.doubleToRawLongBits(ewma * w + rtt * (1 - w));
    }
  }

  /**
   * The P2C_EWMA cost: latency times load. The latency decays towards zero while no samples
   * arrive so that an endpoint once slow is probed again (as Finagle's cost does).
   */
  double cost(long nowNanos, double tauNanos) {
    double ewma = Double.longBitsToDouble(ewmaBits);
    int pending = (int) IN_FLIGHT.getVolatile(this);
    if (ewma == 0) {
      return pending == 0 ? 0 : PENALTY_NANOS + pending;
    }
    long elapsed = nowNanos - ewmaStamp;
    if (elapsed > 0) {
      ewma *= decay(elapsed / tauNanos);
    }
    return ewma * (pending + 1);
  }

  /**
   * {@code e^-x}. Between requests x is tiny (microseconds over a 10 s time constant), where
   * {@code 1 - x + x²/2} is exact to 1e-7 and far cheaper than {@link Math#exp}.
   */
  static double decay(double x) {
    return x < 0.01 ? 1 - x + x * x * 0.5 : Math.exp(-x);
  }

  /** A large cost for endpoints with load but no latency sample yet (Finagle's penalty). */
  private static final double PENALTY_NANOS = 1e15;

  /** Resets the consecutive-failure count; writes only when it is not already 0. */
  void onSuccess() {
    if (consecutiveFailures != 0) {
      consecutiveFailures = 0;
    }
  }

  /** Counts a failure; true when it reaches the ejection threshold. */
  boolean onFailure() {
    int threshold = outlier.consecutiveFailures();
    int n = (int) CONSECUTIVE.getAndAdd(this, 1) + 1;
    return threshold > 0 && n >= threshold;
  }

  /** Ejects for the n-th time: base × n, capped. */
  long eject(long nowNanos) {
    long base = outlier.baseEjectionTime().toNanos();
    long max = outlier.maxEjectionTime().toNanos();
    if (ejectedUntil != 0 && nowNanos - ejectedUntil > max) {
      ejectionStreak = 0; // healthy for a long while: start the multiplier over
    }
    ejectionStreak++;
    ejections++;
    long duration = Math.min(max, base * ejectionStreak);
    ejectedUntil = nowNanos + duration;
    consecutiveFailures = 0;
    return duration;
  }
}

@SuppressWarnings("unused")
abstract class EndpointStateHot extends PadLeft {
  volatile int inFlight;
  volatile int consecutiveFailures;
}

@SuppressWarnings("unused")
abstract class EndpointStatePadRight extends EndpointStateHot {
  long q01, q02, q03, q04, q05, q06, q07, q08;
}

abstract class EndpointStateCold extends EndpointStatePadRight {
  static final java.lang.invoke.VarHandle IN_FLIGHT;
  static final java.lang.invoke.VarHandle CONSECUTIVE;

  static {
    try {
      var lookup = java.lang.invoke.MethodHandles.lookup();
      IN_FLIGHT = lookup.findVarHandle(EndpointStateHot.class, "inFlight", int.class);
      CONSECUTIVE = lookup.findVarHandle(EndpointStateHot.class, "consecutiveFailures", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String service;
  final String host;
  final int port;
  final String address;
  volatile EndpointSpec spec;
  volatile Breaker breaker = Breaker.DISABLED;
  volatile OutlierDetectionPolicy outlier = OutlierDetectionPolicy.DEFAULT;
  volatile long ewmaBits;
  volatile long ewmaStamp;
  volatile long ejectedUntil;
  volatile int ejections;
  int ejectionStreak;

  EndpointStateCold(String service, HostAndPort address, EndpointSpec spec) {
    this.service = service;
    this.host = address.host();
    this.port = address.port();
    this.address = address.toString();
    this.spec = spec;
  }
}
