package io.meshclient.internal.engine;

import io.meshclient.Endpoint;
import io.meshclient.MeshCall;
import io.meshclient.Outcome;
import io.meshclient.Rejection;
import io.meshclient.RequestReader;
import io.meshclient.RetryDecision;
import io.meshclient.policy.ServicePolicy;
import org.jspecify.annotations.Nullable;

/**
 * The engine's per-call state. Attempt 0 lives in plain fields; arrays for further attempts are
 * allocated only when a retry or hedge actually starts (the rare path).
 */
public final class CallState implements MeshCall {

  /** The most attempts one call can have (retry.maxAttempts is at most 10). */
  static final int MAX_ATTEMPTS = 10;

  private final ServiceRuntime runtime;

  private @Nullable CompiledService service;
  private @Nullable CompiledRoute route;
  private @Nullable DestinationPool pool;
  private @Nullable Object request;
  private @Nullable RequestReader<Object> reader;
  private long startNanos;
  private long lastNowNanos;
  private boolean hasDeadline;
  private long deadlineNanos;
  private long hash;
  private boolean hasHash;
  private int concurrencyStripe = -1;
  /** Bit {@code a} set when attempt {@code a} could not connect. */
  private int connectFailedMask;
  private boolean committed;
  private boolean started;
  private int attempts;
  private int completedMask;
  private long backoffNanos;
  private Rejection rejection = Rejection.NONE;

  private @Nullable EndpointState endpoint0;
  private long attemptStart0;
  private EndpointState @Nullable [] endpoints;
  private long @Nullable [] attemptStarts;

  public CallState(ServiceRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R> boolean start(R request, RequestReader<? super R> reader) {
    reset();
    CompiledService s = runtime.compiled();
    if (s == null) {
      return reject(Rejection.UNKNOWN_SERVICE);
    }
    this.service = s;
    this.request = request;
    this.reader = (RequestReader<Object>) reader;
    long now = runtime.ticker.read();
    startNanos = now;
    lastNowNanos = now;
    if (s.timeoutNanos > 0) {
      hasDeadline = true;
      deadlineNanos = now + s.timeoutNanos;
    }
    CompiledRoute matched = null;
    for (CompiledRoute r : s.routes) {
      if (r.matches(request, reader)) {
        matched = r;
        break;
      }
    }
    if (matched == null) {
      return reject(Rejection.NO_ROUTE);
    }
    route = matched;
    pool = matched.pickDestination(runtime.random);
    String hashHeader = s.hashHeader;
    if (hashHeader != null) {
      String value = reader.header(request, hashHeader);
      if (value != null) {
        hasHash = true;
        hash = Hashing.hash(value);
      }
    }
    if (s.maxConcurrentRequests > 0) {
      int stripe = runtime.concurrency.tryAcquire(s.maxConcurrentRequests);
      if (stripe < 0) {
        return reject(Rejection.CONCURRENCY_LIMIT);
      }
      concurrencyStripe = stripe;
    }
    runtime.budget().deposit(now);
    runtime.requests.increment();
    started = true;
    return true;
  }

  private void reset() {
    service = null;
    route = null;
    pool = null;
    request = null;
    reader = null;
    hasDeadline = false;
    deadlineNanos = 0;
    hash = 0;
    hasHash = false;
    concurrencyStripe = -1;
    connectFailedMask = 0;
    committed = false;
    started = false;
    attempts = 0;
    completedMask = 0;
    backoffNanos = 0;
    rejection = Rejection.NONE;
    endpoint0 = null;
    if (endpoints != null) {
      java.util.Arrays.fill(endpoints, null);
    }
  }

  private boolean reject(Rejection why) {
    rejection = why;
    runtime.rejections.increment();
    runtime.listener.onRejected(runtime.name(), why);
    return false;
  }

  @Override
  public void limitDeadline(long remainingNanos) {
    long d = startNanos + remainingNanos;
    if (!hasDeadline || d - deadlineNanos < 0) {
      hasDeadline = true;
      deadlineNanos = d;
    }
  }

  @Override
  public int startAttempt() {
    CompiledService s = requireStarted();
    DestinationPool p = pool;
    if (attempts >= MAX_ATTEMPTS || p == null) {
      throw new IllegalStateException(
          "attempt " + (attempts + 1) + " of a call to " + runtime.name() + ": at most " + MAX_ATTEMPTS);
    }
    long now = attempts == 0 ? startNanos : runtime.ticker.read();
    lastNowNanos = now;
    if (attempts > 0 && hasDeadline && now - deadlineNanos >= 0) {
      reject(Rejection.DEADLINE_EXCEEDED); // a hedge or late retry must not outlive the call
      return -1;
    }
    if (attempts > 0) {
      ensureAttemptArrays();
    }
    EndpointState[] avoid = attempts == 0 ? null : endpoints;
    int avoidCount = attempts;
    EndpointState chosen = null;
    for (int tries = 0; tries <= s.endpoints.length; tries++) {
      EndpointState e = p.pick(hash, hasHash, now, runtime.random, avoid, avoidCount);
      if (e != null && connectFailedMask != 0 && connectFailedHere(e)) {
        // Every endpoint was tried: go back to one that answered rather than one that could not
        // even be connected to in this call (rare path: allocates a small array).
        EndpointState[] dead = connectFailed();
        EndpointState other = p.pick(hash, hasHash, now, runtime.random, dead, dead.length);
        if (other == null || connectFailedHere(other)) {
          // The picker holds only endpoints this call could not connect to. One it leaves out
          // (ejected by outlier detection, which cannot also eject these while maxEjectionPercent
          // is spent) still answers: a better retry than a refused connection.
          other = p.spare(now, runtime.random, skipped(dead, avoid, avoidCount));
        }
        if (other != null) {
          e = other;
        }
      }
      if (e == null) {
        reject(Rejection.NO_ENDPOINTS);
        return -1;
      }
      if (e.breaker.tryAcquire(now)) {
        chosen = e;
        break;
      }
      // Rare path: the picked endpoint's breaker refused (opened since the view was built, or
      // half-open with no trial permit left). Try the others.
      if (avoid == null || avoid == endpoints || avoidCount == avoid.length) {
        EndpointState[] grown = new EndpointState[avoidCount + s.endpoints.length + 1];
        if (avoid != null) {
          System.arraycopy(avoid, 0, grown, 0, avoidCount);
        }
        avoid = grown;
      }
      avoid[avoidCount++] = e;
    }
    if (chosen == null) {
      reject(Rejection.BREAKER_OPEN);
      return -1;
    }
    chosen.incrementInFlight();
    int id = attempts++;
    if (id == 0) {
      endpoint0 = chosen;
      attemptStart0 = now;
    } else {
      ensureAttemptArrays();
      endpoints[id] = chosen;
      attemptStarts[id] = now;
    }
    return id;
  }

  private boolean connectFailedHere(EndpointState e) {
    for (int a = 0; a < attempts; a++) {
      if ((connectFailedMask & (1 << a)) != 0 && state(a) == e) {
        return true;
      }
    }
    return false;
  }

  private EndpointState[] connectFailed() {
    EndpointState[] out = new EndpointState[Integer.bitCount(connectFailedMask)];
    int i = 0;
    for (int a = 0; a < attempts; a++) {
      if ((connectFailedMask & (1 << a)) != 0) {
        out[i++] = state(a);
      }
    }
    return out;
  }

  /**
   * {@code dead} plus the endpoints whose breaker refused this attempt already ({@code avoid}
   * past the attempts made). Rare path.
   */
  private EndpointState[] skipped(
      EndpointState[] dead, EndpointState @Nullable [] avoid, int avoidCount) {
    int refused = avoid == null ? 0 : Math.max(0, avoidCount - attempts);
    if (refused == 0) {
      return dead;
    }
    EndpointState[] out = java.util.Arrays.copyOf(dead, dead.length + refused);
    System.arraycopy(avoid, attempts, out, dead.length, refused);
    return out;
  }

  private void ensureAttemptArrays() {
    if (endpoints == null || attemptStarts == null) {
      endpoints = new EndpointState[MAX_ATTEMPTS];
      attemptStarts = new long[MAX_ATTEMPTS];
    }
    endpoints[0] = endpoint0;
    attemptStarts[0] = attemptStart0;
  }

  private CompiledService requireStarted() {
    CompiledService s = service;
    if (!started || s == null) {
      throw new IllegalStateException(
          "call to " + runtime.name() + " was not started (start() returned false or was not called)");
    }
    return s;
  }

  @Override
  public Endpoint endpoint(int attempt) {
    return state(attempt);
  }

  private EndpointState state(int attempt) {
    EndpointState e;
    if (attempt == 0) {
      e = endpoint0;
    } else {
      EndpointState[] eps = endpoints;
      e = eps == null || attempt < 0 || attempt >= attempts ? null : eps[attempt];
    }
    if (e == null) {
      throw new IllegalArgumentException("no attempt " + attempt + " in this call");
    }
    return e;
  }

  private long attemptStart(int attempt) {
    long[] starts = attemptStarts;
    return attempt == 0 || starts == null ? attemptStart0 : starts[attempt];
  }

  @Override
  public long attemptTimeoutNanos(int attempt) {
    CompiledService s = requireStarted();
    long perTry = s.perTryTimeoutNanos;
    if (!hasDeadline) {
      return perTry;
    }
    long remaining = Math.max(1, deadlineNanos - attemptStart(attempt));
    return perTry == 0 ? remaining : Math.min(perTry, remaining);
  }

  @Override
  public long remainingNanos() {
    return hasDeadline ? deadlineNanos - lastNowNanos : Long.MAX_VALUE;
  }

  /** Marks the attempt completed; false if it already was (a second report is ignored). */
  private boolean complete(int attempt) {
    int bit = 1 << attempt;
    if ((completedMask & bit) != 0) {
      return false;
    }
    completedMask |= bit;
    return true;
  }

  @Override
  public RetryDecision onResponse(int attempt, int httpStatus) {
    CompiledService s = requireStarted();
    return onStatus(s, attempt, httpStatus >= 500, s.retryOn.httpStatus(httpStatus), httpStatus);
  }

  /** Records an attempt that ended with a status (HTTP or gRPC) and decides about a retry. */
  private RetryDecision onStatus(
      CompiledService s, int attempt, boolean failure, boolean retryable, int status) {
    EndpointState e = state(attempt);
    if (!complete(attempt)) {
      return RetryDecision.DONE;
    }
    // A success that nothing needs to time (no latency-aware balancer, no retry to decide) skips
    // the clock: one read fewer (~25 ns on these VMs) on the common path.
    long now = s.recordsLatency || failure || retryable ? runtime.ticker.read() : lastNowNanos;
    lastNowNanos = now;
    long latency = now - attemptStart(attempt);
    record(s, e, failure, now, latency);
    if (!retryable) {
      // a status that is the caller's answer (404, INVALID_ARGUMENT) is DONE
      return failure ? RetryDecision.NOT_RETRYABLE : RetryDecision.DONE;
    }
    return decide(s, false, now, latency, null, status);
  }

  /** gRPC codes that say the endpoint, not the request, is at fault. */
  private static final int GRPC_FAILURE_CODES =
      1 << 2 /* UNKNOWN */
          | 1 << 4 /* DEADLINE_EXCEEDED */
          | 1 << 13 /* INTERNAL */
          | 1 << 14 /* UNAVAILABLE */
          | 1 << 15 /* DATA_LOSS */;

  @Override
  public RetryDecision onGrpcStatus(int attempt, int grpcCode) {
    if (grpcCode == 1) {
      return onFailure(attempt, Outcome.CANCELLED);
    }
    CompiledService s = requireStarted();
    boolean failure = grpcCode >= 0 && grpcCode < 32 && (GRPC_FAILURE_CODES & (1 << grpcCode)) != 0;
    return onStatus(s, attempt, failure, grpcCode != 0 && s.retryOn.grpcCode(grpcCode), grpcCode);
  }

  @Override
  public RetryDecision onFailure(int attempt, Outcome outcome) {
    CompiledService s = requireStarted();
    EndpointState e = state(attempt);
    if (!complete(attempt)) {
      return RetryDecision.DONE;
    }
    long now = runtime.ticker.read();
    lastNowNanos = now;
    if (outcome == Outcome.CANCELLED) {
      e.decrementInFlight();
      e.breaker.onAbandoned();
      return hasDeadline && now - deadlineNanos >= 0
          ? RetryDecision.DEADLINE
          : RetryDecision.NOT_RETRYABLE;
    }
    long latency = now - attemptStart(attempt);
    record(s, e, true, now, latency);
    boolean retryable;
    boolean safe;
    switch (outcome) {
      case CONNECT_FAILURE -> {
        retryable = s.retryOn.connectFailure;
        safe = true;
        connectFailedMask |= 1 << attempt;
      }
      case REFUSED_STREAM -> {
        retryable = s.retryOn.refusedStream;
        safe = true;
      }
      case TIMEOUT -> {
        retryable = s.retryOn.timeout;
        safe = false;
      }
      default -> { // RESET, PROTOCOL_ERROR
        retryable = s.retryOn.reset;
        safe = false;
      }
    }
    if (!retryable) {
      return RetryDecision.NOT_RETRYABLE;
    }
    return decide(s, safe, now, latency, outcome, -1);
  }

  private void record(
      CompiledService s, EndpointState e, boolean failure, long now, long latencyNanos) {
    e.decrementInFlight();
    if (s.recordsLatency) {
      e.recordLatency(latencyNanos, now, s.ewmaTauNanos);
    }
    int transition = e.breaker.onResult(failure, now);
    if (transition != Breaker.NO_CHANGE) {
      runtime.onBreakerTransition(e, transition);
    }
    if (failure) {
      runtime.onEndpointFailure(s, e, now);
    } else {
      e.onSuccess();
    }
  }

  private RetryDecision decide(
      CompiledService s,
      boolean safe,
      long now,
      long latencyNanos,
      @Nullable Outcome outcome,
      int status) {
    RetryDecision d = decideRetry(s, safe, now, latencyNanos);
    if (d == RetryDecision.RETRY) {
      runtime.retries.increment();
      runtime.listener.onRetry(runtime.name(), attempts + 1, outcome, status);
    } else if (d == RetryDecision.BUDGET_EXHAUSTED || d == RetryDecision.DEADLINE) {
      runtime.retriesDenied.increment();
      runtime.listener.onRetryDenied(runtime.name(), d);
    }
    return d;
  }

  private RetryDecision decideRetry(CompiledService s, boolean safe, long now, long latencyNanos) {
    if (committed) {
      return RetryDecision.COMMITTED;
    }
    if (!safe && !idempotent()) {
      return RetryDecision.NOT_IDEMPOTENT;
    }
    if (attempts >= s.maxAttempts) {
      return RetryDecision.ATTEMPTS_EXHAUSTED;
    }
    long backoff = Backoff.fullJitter(s.backoffBaseNanos, s.backoffMaxNanos, attempts, runtime.random);
    // A retry starts only if, after its backoff, at least as much time remains as the failed
    // attempt took: a retry that cannot finish before the deadline only adds load.
    if (hasDeadline && now + backoff + latencyNanos - deadlineNanos >= 0) {
      return RetryDecision.DEADLINE;
    }
    if (!runtime.budget().tryWithdraw(now)) {
      return RetryDecision.BUDGET_EXHAUSTED;
    }
    backoffNanos = backoff;
    return RetryDecision.RETRY;
  }

  private static final String IDEMPOTENCY_KEY = "idempotency-key";

  /** Computed only when a retry is considered: the request path never reads these headers. */
  private boolean idempotent() {
    CompiledRoute r = route;
    RequestReader<Object> rd = reader;
    Object req = request;
    if (r == null || rd == null || req == null) {
      return false;
    }
    if (r.idempotent || rd.idempotent(req)) {
      return true;
    }
    switch (rd.method(req)) {
      case "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE":
        return true;
      default:
        return rd.header(req, IDEMPOTENCY_KEY) != null;
    }
  }

  @Override
  public void commit() {
    committed = true;
  }

  @Override
  public long backoffNanos() {
    return backoffNanos;
  }

  @Override
  public int attemptCount() {
    return attempts;
  }

  @Override
  public Rejection rejection() {
    return rejection;
  }

  @Override
  public String routeName() {
    CompiledRoute r = route;
    return r == null ? "" : r.name;
  }

  @Override
  public ServicePolicy policy() {
    return requireStarted().policy;
  }

  @Override
  public String service() {
    return runtime.name();
  }

  @Override
  public void finish() {
    if (!started) {
      return;
    }
    started = false;
    for (int a = 0; a < attempts; a++) {
      if ((completedMask & (1 << a)) == 0) {
        completedMask |= 1 << a;
        EndpointState e = state(a);
        e.decrementInFlight();
        e.breaker.onAbandoned();
      }
    }
    if (concurrencyStripe >= 0) {
      runtime.concurrency.release(concurrencyStripe);
      concurrencyStripe = -1;
    }
    request = null;
    reader = null;
  }
}
