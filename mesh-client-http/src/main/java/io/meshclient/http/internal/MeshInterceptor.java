package io.meshclient.http.internal;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.MeshCall;
import io.meshclient.MeshRejectedException;
import io.meshclient.Rejection;
import io.meshclient.RetryDecision;
import io.meshclient.http.MeshHttpRejectedException;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Proxy;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The mesh's attempt loop, as OkHttp's first application interceptor:
 * {@code route → pick → admit → call → record → (retry?)}, every decision the engine's.
 *
 * <p>Each attempt re-runs OkHttp's own chain (retry-and-follow-up, bridge, cache, connect, network
 * interceptors) on a chain copy whose DNS leads to the picked endpoint (see {@link EndpointRoute}
 * and {@link MeshSocketFactory}): the first attempt's request is never rebuilt. Per-try limits become the attempt
 * chain's connect/read/write timeouts.
 *
 * <p>What this layer adds to the engine's rules: a one-shot body is never replayed (the call is
 * committed before its first attempt); a response that will be retried is closed before the
 * backoff (its first 64 KiB kept as the answer in case the retry cannot start); a retry waits the
 * engine's backoff on the calling thread; attempts after the first carry a URL naming the
 * endpoint's route (see {@link EndpointRoute#retryRequest}).
 */
public final class MeshInterceptor implements Interceptor {

  private final Mesh mesh;
  private final boolean refuseUnknownHosts;
  private final boolean forceDirect;
  private final HttpTelemetry telemetry;
  private final long bufferBodyBytes;
  private final MeshSocketFactory sockets;
  private final @Nullable MeshTls tls;
  private final ConcurrentHashMap<String, ServiceClient> services = new ConcurrentHashMap<>();

  /**
   * @param sockets the client's socket factory for mesh endpoints (it knows {@code tls})
   * @param tls the client's mTLS credentials, or null for plaintext only
   */
  public MeshInterceptor(
      Mesh mesh,
      boolean refuseUnknownHosts,
      boolean forceDirect,
      HttpTelemetry telemetry,
      long bufferBodyBytes,
      MeshSocketFactory sockets,
      @Nullable MeshTls tls) {
    this.mesh = mesh;
    this.refuseUnknownHosts = refuseUnknownHosts;
    this.forceDirect = forceDirect;
    this.telemetry = telemetry;
    this.bufferBodyBytes = bufferBodyBytes;
    this.sockets = sockets;
    this.tls = tls;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String host = request.url().host();
    if (!mesh.knows(host)) {
      if (refuseUnknownHosts) {
        throw new MeshHttpRejectedException(
            new MeshRejectedException(host, Rejection.UNKNOWN_SERVICE, null));
      }
      return chain.proceed(request);
    }
    ServiceClient service = services.get(host);
    if (service == null) {
      service = services.computeIfAbsent(host, this::newService);
    }
    MeshCall call = service.acquire();
    try {
      return execute(chain, request, service, call);
    } finally {
      service.release(call);
    }
  }

  private ServiceClient newService(String host) {
    ServiceClient s = new ServiceClient(mesh.service(host), telemetry, tls);
    telemetry.serviceAdded(s.handle);
    return s;
  }

  private Response execute(Chain chain, Request request, ServiceClient service, MeshCall call)
      throws IOException {
    if (!call.start(request, OkHttpRequestReader.INSTANCE)) {
      throw rejected(call, null);
    }
    try {
      TlsMode transport = transport(call, request);
      long callTimeout = chain.call().timeout().timeoutNanos();
      if (callTimeout > 0) {
        call.limitDeadline(callTimeout); // OkHttp's callTimeout bounds all attempts too
      }
      RequestBody body = request.body();
      if (body != null && body.isOneShot()) {
        call.commit(); // its bytes can be read once: the engine then never grants a retry
      }
      Object callState = telemetry.startCall(request);
      Response previous = null; // a retried response, kept in case the retry is refused
      IOException previousFailure = null;
      while (true) {
        int attempt = call.startAttempt();
        if (attempt < 0) {
          if (previous != null) {
            return previous;
          }
          if (previousFailure != null) {
            previousFailure.addSuppressed(new IOException("meshclient: service '" + call.service()
                + "' not retried: " + call.rejection().description()));
            throw previousFailure;
          }
          throw rejected(call, null);
        }
        previous = null;
        previousFailure = null;
        Endpoint endpoint = call.endpoint(attempt);
        EndpointRoute route = service.route(endpoint, transport, chain.getDns());
        Chain attemptChain = attemptChain(chain, route, call.attemptTimeoutNanos(attempt));
        Request sent = attempt == 0 ? request : route.retryRequest(request);
        Response response;
        try {
          response =
              telemetry.proceed(attemptChain, request, sent, call, route, callState, bufferBodyBytes);
        } catch (IOException e) {
          RetryDecision d = call.onFailure(attempt, Outcomes.classify(e, chain.call()));
          if (!d.isRetry()) {
            if (d.declinedRetry()) {
              // Failure path only: the stack trace says why the mesh stopped here.
              e.addSuppressed(new IOException("meshclient: service '" + call.service()
                  + "' not retried after " + (attempt + 1) + " attempt(s): " + d.description()));
            }
            throw e;
          }
          previousFailure = e;
          backoff(chain, call);
          continue;
        }
        RetryDecision d = call.onResponse(attempt, response.code());
        if (!d.isRetry()) {
          return response;
        }
        previous = detach(response);
        backoff(chain, call);
      }
    } finally {
      call.finish();
    }
  }

  /**
   * Closes a response that will be retried (releasing its connection) and returns a copy holding
   * the start of its body, the caller's answer if the retry cannot start. Rare path.
   */
  private static Response detach(Response response) throws IOException {
    try (response) {
      return response.newBuilder().body(response.peekBody(MAX_KEPT_BODY)).build();
    }
  }

  private static final long MAX_KEPT_BODY = 64 * 1024;

  /**
   * The chain one attempt runs on: the endpoint's route (which carries the transport, see {@link
   * EndpointRoute}), and the attempt's time limit.
   */
  private Chain attemptChain(Chain chain, EndpointRoute route, long timeoutNanos) {
    Chain c = chain.withDns(route);
    if (c.getSocketFactory() != sockets) {
      c = c.withSocketFactory(sockets); // a client not built by this MeshHttp.addTo
    }
    Proxy proxy = c.getProxy();
    if (forceDirect || (proxy != null && proxy.type() != Proxy.Type.DIRECT)) {
      c = c.withProxy(Proxy.NO_PROXY); // the endpoint is the destination, never a proxy
    }
    if (timeoutNanos > 0) {
      int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (timeoutNanos + 999_999) / 1_000_000));
      // OkHttp has no timer for one pass of the chain: the per-try limit bounds connecting and
      // each wait for bytes; the engine's deadline and OkHttp's callTimeout bound the whole.
      // A shorter limit the application set on its client still applies.
      c =
          c.withConnectTimeout(tighter(millis, c.connectTimeoutMillis()), TimeUnit.MILLISECONDS)
              .withReadTimeout(tighter(millis, c.readTimeoutMillis()), TimeUnit.MILLISECONDS)
              .withWriteTimeout(tighter(millis, c.writeTimeoutMillis()), TimeUnit.MILLISECONDS);
    }
    return c;
  }

  /** The smaller of two OkHttp timeouts, where 0 means none. */
  private static int tighter(int millis, int clientMillis) {
    return clientMillis > 0 && clientMillis < millis ? clientMillis : millis;
  }

  /**
   * The transport of this call's attempts, per the policy the call started with: mTLS under STRICT
   * and PERMISSIVE when the client has credentials, else plaintext. Never downgrades STRICT: it
   * is refused, before anything is sent, when mTLS cannot be had.
   */
  private TlsMode transport(MeshCall call, Request request) throws IOException {
    ServicePolicy policy = call.policy();
    TlsMode mode = policy.tls();
    if (mode == TlsMode.DISABLE) {
      return TlsMode.DISABLE;
    }
    if (mode == TlsMode.STRICT) {
      String why = null;
      if (tls == null) {
        why = "this client has no mTLS credentials"
            + " (expected: MeshHttp.builder(mesh).credentials(meshCredentials))";
      } else if (tls.credentials.identity() == null) {
        why = "its credentials hold no workload identity yet"
            + " (expected: MeshCredentials.update(identity) once the certificate is issued)";
      } else if (request.isHttps()) {
        why = "the mesh adds mTLS to http:// URLs; an https:// URL would be OkHttp's own TLS,"
            + " without the SPIFFE peer check (expected: http://" + call.service() + "/...)";
      }
      if (why != null) {
        throw new IOException(
            "meshclient: service '" + call.service() + "' requires mTLS (tls: STRICT), but " + why);
      }
    }
    // PERMISSIVE without credentials, or over https://: as before mTLS, OkHttp's own transport.
    return tls != null && !request.isHttps() ? mode : TlsMode.DISABLE;
  }

  private static void backoff(Chain chain, MeshCall call) throws IOException {
    long nanos = call.backoffNanos();
    if (nanos > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted during retry backoff");
      }
    }
    if (chain.call().isCanceled()) {
      throw new IOException("Canceled");
    }
  }

  private static MeshHttpRejectedException rejected(MeshCall call, @Nullable String endpoint) {
    return new MeshHttpRejectedException(
        new MeshRejectedException(call.service(), call.rejection(), endpoint));
  }
}
