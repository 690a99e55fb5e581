package io.meshclient.grpc.internal;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.meshclient.Endpoint;
import io.meshclient.MeshCall;
import io.meshclient.Outcome;
import io.meshclient.RequestReader;
import io.meshclient.RetryDecision;
import io.meshclient.policy.TlsMode;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One logical gRPC call through the mesh: a sequence of attempts, each a real call on the channel
 * below, to the endpoint the engine chose.
 *
 * <h2>Why the adapter retries, not grpc-java's built-in retry</h2>
 *
 * grpc-java can retry from a service config ({@code retryPolicy}, {@code retryThrottling}). We
 * drive retries here instead, from {@link MeshCall}, because:
 *
 * <ul>
 *   <li><b>Budget:</b> the mesh caps retries at a share of requests over a sliding window with a
 *       per-second floor, shared by every client of the service and by the HTTP adapter. grpc's
 *       throttling is a per-channel token bucket with other semantics; it cannot consult ours.
 *   <li><b>A different endpoint:</b> a retry should go elsewhere. grpc's retry re-runs the picker
 *       without telling it what was tried; the engine remembers the call's endpoints and avoids
 *       them.
 *   <li><b>One decision, in the engine:</b> which failures count against an endpoint, which are
 *       retryable, idempotency, "a retry must be able to finish before the deadline", backoff with
 *       jitter: all of it is the engine's, identical for HTTP. Built-in retry would duplicate it in
 *       a generated service config and drift.
 *   <li><b>Streaming:</b> grpc commits when response headers arrive and replays buffered client
 *       messages. We commit at the same point (nothing received yet is the only safe time), and
 *       replay only what a call of one request message needs: unary and server-streaming calls keep
 *       a reference to their single request. Client- and bidi-streaming calls are not buffered:
 *       they commit when their first message is sent, so they are retried only for failures before
 *       that (a connect failure, a refused stream, a status before any send).
 * </ul>
 *
 * The channel is built with grpc's retry disabled, so no request is ever retried twice over.
 *
 * <h2>Threads</h2>
 *
 * The application calls {@code start/request/sendMessage/halfClose/cancel} on its thread; attempt
 * callbacks arrive on the call's executor; a backoff ends on the timer thread. State they share is
 * guarded by this object's monitor (uncontended on the common path). Callbacks to the application's
 * listener are never made while holding it, except from within its own calls.
 */
final class MeshClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> implements MeshAttempt {

  static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
      Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);

  /** Reads routing attributes straight from the call, copying nothing. */
  static final RequestReader<MeshClientCall<?, ?>> READER =
      new RequestReader<>() {
        @Override
        public String method(MeshClientCall<?, ?> call) {
          return "POST";
        }

        @Override
        public String path(MeshClientCall<?, ?> call) {
          return call.owner.path(call.method.getFullMethodName());
        }

        @Override
        public @Nullable String header(MeshClientCall<?, ?> call, String lowerCaseName) {
          Metadata h = call.headers;
          Metadata.Key<String> key = call.owner.key(lowerCaseName);
          return h == null || key == null ? null : h.get(key);
        }

        @Override
        public boolean idempotent(MeshClientCall<?, ?> call) {
          return call.method.isIdempotent() || call.method.isSafe();
        }
      };

  private final MeshCallChannel owner;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;

  /** The real channel (plaintext or mTLS) the call's policy chose; set at start. */
  private @Nullable Transport transport;

  /** The client sends one message: keep it to re-send on a retry. */
  private final boolean replayable;

  private final AttemptListener attemptListener = new AttemptListener();

  private @Nullable Listener<RespT> listener;
  private @Nullable Metadata headers;
  private Context context = Context.ROOT;
  private volatile @Nullable ClientCall<ReqT, RespT> attemptCall;
  private volatile @Nullable Endpoint endpoint;
  private volatile int attempt = -1;

  // Guarded by this.
  private @Nullable MeshCall call;
  private boolean perTryDeadline;
  private @Nullable ReqT message;
  private int requested;
  private boolean halfClosed;
  private boolean cancelled;
  private boolean committed;
  private boolean closed;

  /** State only some calls need (retries, client streams, compression); made on first use. */
  private @Nullable Rare<ReqT> rare;

  /** Kept out of the call object so the common call stays small. Guarded by the call. */
  private static final class Rare<ReqT> {
    /** The call's options carrying the call for the balancer (see MeshAttempt). */
    @Nullable CallOptions keyed;

    /** Client-stream messages sent between attempts, for the next one. */
    @Nullable List<ReqT> unsent;

    @Nullable Boolean compression;
    @Nullable ScheduledFuture<?> pendingRetry;
    @Nullable Status lastStatus;
    @Nullable Metadata lastTrailers;
  }

  private Rare<ReqT> rare() {
    Rare<ReqT> r = rare;
    if (r == null) {
      r = rare = new Rare<>();
    }
    return r;
  }

  MeshClientCall(
      MeshCallChannel owner, MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    this.owner = owner;
    this.method = method;
    this.options = callOptions;
    this.replayable = method.getType().clientSendsOneMessage();
  }

  @Override
  public @Nullable Endpoint endpoint() {
    return endpoint;
  }

  @Override
  public boolean starts(Metadata h) {
    return h == headers && attempt == 0;
  }

  @Override
  public int attemptNumber() {
    return attempt + 1;
  }

  @Override
  public String routeName() {
    MeshCall c;
    synchronized (this) {
      c = call;
      return c == null ? "" : c.routeName();
    }
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    this.listener = listener;
    this.headers = headers;
    this.context = Context.current();
    MeshCall c = owner.pool.acquire();
    if (!c.start(this, READER)) {
      Status rejected = owner.rejected(c.rejection(), null);
      owner.pool.release(c);
      synchronized (this) {
        closed = true;
      }
      listener.onClose(rejected, new Metadata());
      return;
    }
    // Plaintext or mTLS by the policy snapshot the call runs under (the one that chose its
    // endpoints), so a TLS mode change and the endpoint list that goes with it apply together.
    TlsMode mode = c.policy().tls();
    Transport t = owner.transports.select(mode);
    if (t == null) {
      c.finish();
      owner.pool.release(c);
      synchronized (this) {
        closed = true;
      }
      listener.onClose(owner.noCredentials(mode), new Metadata());
      return;
    }
    transport = t;
    Deadline deadline = earlier(options.getDeadline(), context.getDeadline());
    if (deadline != null) {
      c.limitDeadline(deadline.timeRemaining(TimeUnit.NANOSECONDS));
    }
    Status failed;
    synchronized (this) {
      call = c;
      failed =
          cancelled ? Status.CANCELLED.withDescription("cancelled before start") : startAttempt();
      if (failed != null) {
        finish();
      }
    }
    if (failed != null) {
      listener.onClose(failed, new Metadata());
    }
  }

  private static @Nullable Deadline earlier(@Nullable Deadline a, @Nullable Deadline b) {
    return a == null ? b : b == null ? a : a.minimum(b);
  }

  /**
   * Starts the next attempt and replays what the application already did. Returns the status to
   * close with when the mesh refuses the attempt. Holds the lock.
   */
  private @Nullable Status startAttempt() {
    MeshCall c = call;
    Transport t = transport;
    if (c == null || t == null) {
      return Status.INTERNAL.withDescription("meshclient: attempt without a call");
    }
    int a = c.startAttempt();
    if (a < 0) {
      Endpoint last = endpoint;
      return owner.rejected(c.rejection(), last == null ? null : last.address());
    }
    Endpoint e = c.endpoint(a);
    endpoint = e; // read by the picker when this attempt's stream is created
    attempt = a;
    long timeout = c.attemptTimeoutNanos(a);
    // The common case, a first attempt to a READY endpoint, is picked on this thread inside
    // start() and needs no options copy; everything else carries the call in its options.
    boolean onThisThread = a == 0 && !owner.tracing && t.ready().isReady(e);
    CallOptions o = onThisThread ? options : keyedOptions();
    perTryDeadline = false;
    if (timeout > 0) {
      Deadline current = o.getDeadline();
      if (current == null || current.timeRemaining(TimeUnit.NANOSECONDS) > timeout) {
        // Only when a policy limit is tighter than the caller's: grpc enforces it on the attempt.
        o = o.withDeadlineAfter(timeout, TimeUnit.NANOSECONDS);
        perTryDeadline = c.remainingNanos() > timeout;
      }
    }
    Metadata h = headers;
    if (a > 0 && h != null) {
      h = retryHeaders(h, a);
    }
    ClientCall<ReqT, RespT> ac = t.channel().newCall(method, o);
    attemptCall = ac;
    if (h == null) {
      h = new Metadata();
    }
    if (onThisThread) {
      MeshAttempt.CURRENT.set(this);
      try {
        ac.start(attemptListener, h);
      } finally {
        MeshAttempt.CURRENT.set(null);
      }
    } else {
      ac.start(attemptListener, h);
    }
    Rare<ReqT> r = rare;
    if (r != null && r.compression != null) {
      ac.setMessageCompression(r.compression);
    }
    if (requested > 0) {
      ac.request(requested);
    }
    if (message != null) {
      ac.sendMessage(message);
    }
    List<ReqT> pending = r == null ? null : r.unsent;
    if (r != null && pending != null) {
      r.unsent = null;
      for (ReqT m : pending) {
        ac.sendMessage(m);
      }
    }
    if (halfClosed) {
      ac.halfClose();
    }
    return null;
  }

  private CallOptions keyedOptions() {
    Rare<ReqT> r = rare();
    CallOptions k = r.keyed;
    if (k == null) {
      k = r.keyed = options.withOption(MeshAttempt.KEY, this);
    }
    return k;
  }

  /** A fresh copy of the call's headers for a retry: without the last attempt's trace context. */
  private Metadata retryHeaders(Metadata original, int attempt) {
    Metadata h = new Metadata();
    h.merge(original);
    for (Metadata.Key<String> k : owner.perAttemptHeaders) {
      h.discardAll(k);
    }
    h.discardAll(PREVIOUS_ATTEMPTS);
    h.put(PREVIOUS_ATTEMPTS, Integer.toString(attempt));
    return h;
  }

  @Override
  public void request(int numMessages) {
    synchronized (this) {
      if (closed) {
        return;
      }
      requested = requested + numMessages < 0 ? Integer.MAX_VALUE : requested + numMessages;
      ClientCall<ReqT, RespT> ac = attemptCall;
      if (ac != null) {
        ac.request(numMessages);
      }
    }
  }

  @Override
  public void sendMessage(ReqT msg) {
    synchronized (this) {
      if (closed) {
        return;
      }
      ClientCall<ReqT, RespT> ac = attemptCall;
      if (replayable) {
        message = msg;
      } else {
        if (!committed) {
          // Client streams are not buffered: once a message is out, this attempt is the call.
          committed = true;
          MeshCall c = call;
          if (c != null) {
            c.commit();
          }
        }
        if (ac == null) { // between attempts: hand it to the next one
          Rare<ReqT> r = rare();
          List<ReqT> pending = r.unsent;
          if (pending == null) {
            pending = r.unsent = new ArrayList<>(2);
          }
          pending.add(msg);
        }
      }
      if (ac != null) {
        ac.sendMessage(msg);
      }
    }
  }

  @Override
  public void halfClose() {
    synchronized (this) {
      if (closed) {
        return;
      }
      halfClosed = true;
      ClientCall<ReqT, RespT> ac = attemptCall;
      if (ac != null) {
        ac.halfClose();
      }
    }
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    synchronized (this) {
      rare().compression = enabled;
      ClientCall<ReqT, RespT> ac = attemptCall;
      if (ac != null) {
        ac.setMessageCompression(enabled);
      }
    }
  }

  @Override
  public boolean isReady() {
    ClientCall<ReqT, RespT> ac = attemptCall;
    return ac != null && ac.isReady();
  }

  @Override
  public Attributes getAttributes() {
    ClientCall<ReqT, RespT> ac = attemptCall;
    return ac != null ? ac.getAttributes() : Attributes.EMPTY;
  }

  @Override
  public void cancel(@Nullable String msg, @Nullable Throwable cause) {
    Status status;
    synchronized (this) {
      if (closed || cancelled) {
        return;
      }
      cancelled = true;
      ClientCall<ReqT, RespT> ac = attemptCall;
      if (ac != null) {
        ac.cancel(msg, cause); // its close reports the cancellation and closes this call
        return;
      }
      if (listener == null || call == null) {
        return; // before start: start() closes
      }
      Rare<ReqT> r = rare;
      ScheduledFuture<?> retry = r == null ? null : r.pendingRetry;
      if (r != null && retry != null) {
        retry.cancel(false);
        r.pendingRetry = null;
      }
      status =
          Status.CANCELLED.withDescription(msg == null ? "call cancelled" : msg).withCause(cause);
      finish();
    }
    deliverClose(status, new Metadata());
  }

  /** Ends the engine's call and returns it to the pool. Holds the lock. */
  private void finish() {
    closed = true;
    MeshCall c = call;
    call = null;
    message = null;
    Rare<ReqT> r = rare;
    if (r != null) {
      r.unsent = null;
    }
    if (c != null) {
      c.finish();
      owner.pool.release(c);
    }
  }

  /** Closes the application's listener, on the call's executor when we are on a foreign thread. */
  private void deliverClose(Status status, Metadata trailers) {
    Listener<RespT> l = listener;
    if (l == null) {
      return;
    }
    Executor executor = options.getExecutor();
    if (executor == null) {
      l.onClose(status, trailers);
    } else {
      // A blocking stub's thread waits on its own executor: wake it through that executor.
      executor.execute(() -> l.onClose(status, trailers));
    }
  }

  private void attemptClosed(Status status, Metadata trailers) {
    Status closeWith = status;
    Metadata closeTrailers = trailers;
    synchronized (this) {
      if (closed) {
        return;
      }
      attemptCall = null;
      MeshCall c = call;
      if (c == null) {
        return;
      }
      RetryDecision d = report(c, attempt, status);
      if (d.isRetry() && !cancelled && !context.isCancelled()) {
        long backoff = c.backoffNanos();
        if (backoff > 0) {
          Rare<ReqT> r = rare();
          r.lastStatus = status;
          r.lastTrailers = trailers;
          r.pendingRetry =
              owner.scheduler.schedule(this::retryAfterBackoff, backoff, TimeUnit.NANOSECONDS);
          return;
        }
        Status refused = retry(status);
        if (refused == null) {
          return;
        }
        closeWith = refused;
      } else if (d.declinedRetry() && status.getCode() != Status.Code.OK) {
        // Failure path only: the caller's status says why the mesh stopped here.
        closeWith = status.augmentDescription(
            "meshclient: not retried after " + (attempt + 1) + " attempt(s): " + d.description());
      }
      finish();
    }
    Listener<RespT> l = listener;
    if (l != null) {
      l.onClose(closeWith, closeTrailers); // already on the call's executor
    }
  }

  private void retryAfterBackoff() {
    Status refused;
    Metadata trailers;
    synchronized (this) {
      Rare<ReqT> r = rare();
      r.pendingRetry = null;
      Status last = r.lastStatus;
      trailers = r.lastTrailers == null ? new Metadata() : r.lastTrailers;
      r.lastStatus = null;
      r.lastTrailers = null;
      if (closed || last == null) {
        return;
      }
      refused = retry(last);
      if (refused == null) {
        return;
      }
      finish();
    }
    deliverClose(refused, trailers);
  }

  /**
   * Starts a retry in the caller's gRPC context (its deadline, cancellation and trace context
   * follow the attempt onto whichever thread runs it). Returns the status to close with if the mesh
   * refuses it: the last failure, saying why no retry followed.
   */
  private @Nullable Status retry(Status lastFailure) {
    Context previous = context.attach();
    try {
      Status refused = startAttempt();
      if (refused == null) {
        return null;
      }
      // The deadline passing is the call's answer; otherwise the last failure is, with the reason
      // no retry followed.
      return refused.getCode() == Status.Code.DEADLINE_EXCEEDED
          ? refused
          : lastFailure.augmentDescription("meshclient: no retry: " + refused.getDescription());
    } finally {
      context.detach(previous);
    }
  }

  /**
   * Translates how an attempt ended into the engine's terms. The engine classifies status codes;
   * the transport-level distinctions only the adapter can see are made here.
   */
  private RetryDecision report(MeshCall c, int a, Status status) {
    switch (status.getCode()) {
      case OK:
        return c.onGrpcStatus(a, 0);
      case UNAVAILABLE:
        if (isConnectFailure(status)) {
          return c.onFailure(a, Outcome.CONNECT_FAILURE);
        }
        if (isRefusedStream(status)) {
          return c.onFailure(a, Outcome.REFUSED_STREAM);
        }
        return c.onGrpcStatus(a, Status.Code.UNAVAILABLE.value());
      case CANCELLED:
        // Not cancelled here: the server or the connection reset the stream.
        return c.onFailure(
            a, cancelled || context.isCancelled() ? Outcome.CANCELLED : Outcome.RESET);
      case INTERNAL:
        if (isStreamReset(status)) {
          // The peer reset the stream (a server shutting down sends RST_STREAM INTERNAL_ERROR):
          // a transport reset, retryable like one when the request is idempotent.
          return c.onFailure(a, Outcome.RESET);
        }
        return c.onGrpcStatus(a, Status.Code.INTERNAL.value());
      case DEADLINE_EXCEEDED:
        return perTryDeadline
            ? c.onFailure(a, Outcome.TIMEOUT)
            : c.onGrpcStatus(a, Status.Code.DEADLINE_EXCEEDED.value());
      default:
        return c.onGrpcStatus(a, status.getCode().value());
    }
  }

  /** Nothing was sent: the connection could not be made, or no READY connection was picked. */
  static boolean isConnectFailure(Status status) {
    for (Throwable t = status.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof MeshPickFailure) {
        return true;
      }
    }
    return false;
  }

  /** An HTTP/2 RST_STREAM from the peer: grpc-java's Netty transport reports it by this text. */
  static boolean isStreamReset(Status status) {
    String d = status.getDescription();
    return d != null && d.startsWith("RST_STREAM closed stream");
  }

  /**
   * A stream the server never processed: HTTP/2 RST_STREAM(REFUSED_STREAM), which grpc-java reports
   * as UNAVAILABLE naming the code, or a stream caught by the server's GOAWAY (a graceful
   * {@code maxConnectionAge} drain, for example) before it was sent or above the last stream the
   * server took. grpc's own transparent retry would re-send those, but it is off under the mesh
   * (the mesh retries), so they are named here; "Abrupt GOAWAY closed sent stream" may have been
   * processed and is not one of them.
   */
  static boolean isRefusedStream(Status status) {
    String d = status.getDescription();
    return d != null
        && (d.contains("REFUSED_STREAM")
            || d.startsWith("GOAWAY shut down transport")
            || d.startsWith("Abrupt GOAWAY closed unsent stream"));
  }

  /** Receives one attempt's events; reused by every attempt of the call (they never overlap). */
  private final class AttemptListener extends ClientCall.Listener<RespT> {

    @Override
    public void onHeaders(Metadata responseHeaders) {
      synchronized (MeshClientCall.this) {
        if (!committed) {
          committed = true; // the response started: no retry may follow
          MeshCall c = call;
          if (c != null) {
            c.commit();
          }
        }
      }
      Listener<RespT> l = listener;
      if (l != null) {
        l.onHeaders(responseHeaders);
      }
    }

    @Override
    public void onMessage(RespT msg) {
      Listener<RespT> l = listener;
      if (l != null) {
        l.onMessage(msg);
      }
    }

    @Override
    public void onReady() {
      Listener<RespT> l = listener;
      if (l != null) {
        l.onReady();
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      attemptClosed(status, trailers);
    }
  }
}
