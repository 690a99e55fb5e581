package io.meshclient;

import io.meshclient.policy.ServicePolicy;

/**
 * One logical call through the mesh, driven by an adapter: the per-request half of the engine.
 *
 * <pre>{@code
 * MeshCall call = handle.newCall();          // or reuse one per thread: start() resets it
 * if (!call.start(request, READER)) throw rejected(call.rejection());
 * try {
 *   while (true) {
 *     int attempt = call.startAttempt();       // pick + admit
 *     if (attempt < 0) throw rejected(call.rejection());
 *     Endpoint endpoint = call.endpoint(attempt);
 *     ... send to endpoint, within call.attemptTimeoutNanos(attempt) ...
 *     RetryDecision d = call.onResponse(attempt, status);   // or onGrpcStatus / onFailure
 *     if (!d.isRetry()) return response;
 *     wait call.backoffNanos()
 *   }
 * } finally {
 *   call.finish();
 * }
 * }</pre>
 *
 * <p>A call finishes on the policy snapshot it started with, even if an update lands meanwhile.
 * Everything here allocates nothing on the common path (one attempt, success). More than one
 * attempt may be in flight at once (hedging). Not thread-safe: one call is driven by one thread at
 * a time, although successive steps may run on different threads.
 */
public interface MeshCall {

  /**
   * Routes the request and admits the call (service concurrency limit, retry budget deposit).
   * Reads the ticker once. Returns false when the call is rejected; see {@link #rejection()}.
   */
  <R> boolean start(R request, RequestReader<? super R> reader);

  /** Tightens the call's deadline to at most {@code remainingNanos} from its start (a gRPC deadline). */
  void limitDeadline(long remainingNanos);

  /**
   * Picks an endpoint (a different one from those already tried when possible) and admits the
   * attempt to it. Returns the attempt's id, or -1 when no endpoint can take it; see {@link
   * #rejection()}.
   */
  int startAttempt();

  /** The endpoint of attempt {@code attempt}. */
  Endpoint endpoint(int attempt);

  /** The time attempt {@code attempt} may take: the per-try timeout bounded by the deadline; 0 for none. */
  long attemptTimeoutNanos(int attempt);

  /** Nanoseconds left before the call's deadline at the time of the last clock read; {@link Long#MAX_VALUE} if none. */
  long remainingNanos();

  /** Records an HTTP response and decides about a retry. 5xx counts as an endpoint failure. */
  RetryDecision onResponse(int attempt, int httpStatus);

  /**
   * Records a gRPC status (by code number) and decides about a retry. UNKNOWN, DEADLINE_EXCEEDED,
   * INTERNAL, UNAVAILABLE and DATA_LOSS count as endpoint failures; CANCELLED as neither success
   * nor failure.
   */
  RetryDecision onGrpcStatus(int attempt, int grpcCode);

  /** Records an attempt that ended without a response and decides about a retry. */
  RetryDecision onFailure(int attempt, Outcome outcome);

  /** The response has started (streaming): no retry may follow. */
  void commit();

  /** After {@link RetryDecision#RETRY}: how long to wait before the next attempt (full jitter). */
  long backoffNanos();

  /** Attempts started so far. */
  int attemptCount();

  /** Why {@link #start} or {@link #startAttempt} refused, or {@link Rejection#NONE}. */
  Rejection rejection();

  /** The name of the route the request matched (for spans and metrics). */
  String routeName();

  /** The service policy this call runs under. */
  ServicePolicy policy();

  /** The logical service name. */
  String service();

  /**
   * Ends the call: releases its concurrency slot and abandons attempts still in flight. Call it
   * exactly once per successful {@link #start}, in a finally block.
   */
  void finish();
}
