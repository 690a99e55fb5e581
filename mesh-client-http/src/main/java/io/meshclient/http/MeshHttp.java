package io.meshclient.http;

import io.meshclient.Mesh;
import io.meshclient.http.internal.HttpTelemetry;
import io.meshclient.http.internal.MeshInterceptor;
import io.meshclient.http.internal.MeshSocketFactory;
import io.meshclient.http.internal.MeshTls;
import io.meshclient.tls.MeshCredentials;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.net.Proxy;
import java.net.URI;
import java.util.Objects;
import javax.net.SocketFactory;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * Puts OkHttp requests under the mesh.
 *
 * <pre>{@code
 * OkHttpClient client = MeshHttp.client(mesh);                        // a ready client
 * OkHttpClient client = MeshHttp.addTo(new OkHttpClient.Builder(), mesh).build(); // your own
 * Retrofit retrofit = new Retrofit.Builder().baseUrl("http://orders/").client(client).build();
 * }</pre>
 *
 * <p>A request whose host is a service the mesh knows ({@code http://orders/v1/orders}) is routed
 * and balanced per the service's policy, admitted by its breakers, and retried per its retry
 * policy; the URL's port is ignored (each endpoint has its own) and the {@code Host} header stays
 * the logical name. Requests to other hosts pass through untouched unless {@link
 * Builder#unknownHosts(UnknownHosts) configured to be refused}. A refused request fails with
 * {@link MeshHttpRejectedException}. See {@code docs/http.md} for the retry rules.
 *
 * <p>With {@link Builder#credentials workload credentials}, calls to a service whose policy says
 * {@code tls: STRICT} or {@code PERMISSIVE} use mutual TLS with SPIFFE peer checks, under the same
 * {@code http://} URLs: the mesh chooses the transport per the service's live policy.
 *
 * <p>Tracing and metrics use the {@link GlobalOpenTelemetry} if one is set when the client is
 * built, or the one given to {@link Builder#openTelemetry}; with none, they cost nothing.
 */
public final class MeshHttp {

  private MeshHttp() {}

  /** What to do with a request whose host is not a service the mesh knows. */
  public enum UnknownHosts {
    /** Send it as plain OkHttp would (the default): the mesh governs only its services. */
    PASS_THROUGH,
    /** Fail it with {@link MeshHttpRejectedException} ({@code UNKNOWN_SERVICE}): mesh-only clients. */
    REFUSE
  }

  /**
   * Marks a request as safe to re-send after it may have reached the server (for example a POST
   * that the service de-duplicates), as an {@code idempotency-key} header or an idempotent route
   * would. The mark is an OkHttp tag: nothing is sent on the wire.
   */
  public static Request.Builder idempotent(Request.Builder request) {
    return request.tag(Idempotent.class, Idempotent.INSTANCE);
  }

  /** The tag {@link #idempotent} puts on a request. */
  public enum Idempotent {
    INSTANCE
  }

  /** A new {@link OkHttpClient} whose requests to mesh services go through the mesh. */
  public static OkHttpClient client(Mesh mesh) {
    return builder(mesh).client();
  }

  /** Adds the mesh to {@code builder} (see {@link Builder#addTo}) and returns it. */
  public static OkHttpClient.Builder addTo(OkHttpClient.Builder builder, Mesh mesh) {
    return builder(mesh).addTo(builder);
  }

  /** Options beyond the defaults. */
  public static Builder builder(Mesh mesh) {
    return new Builder(mesh);
  }

  /** Configures how a client uses the mesh. */
  public static final class Builder {
    private final Mesh mesh;
    private UnknownHosts unknownHosts = UnknownHosts.PASS_THROUGH;
    private @Nullable OpenTelemetry openTelemetry;
    private long bufferBodyBytes;
    private @Nullable MeshCredentials credentials;

    private Builder(Mesh mesh) {
      this.mesh = Objects.requireNonNull(mesh, "mesh");
    }

    /** What to do with hosts that are not mesh services; default {@link UnknownHosts#PASS_THROUGH}. */
    public Builder unknownHosts(UnknownHosts unknownHosts) {
      this.unknownHosts = Objects.requireNonNull(unknownHosts, "unknownHosts");
      return this;
    }

    /**
     * The OpenTelemetry to trace attempts and record metrics with. Default: the {@link
     * GlobalOpenTelemetry} if set when the client is built, else none (no cost at all).
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Reads up to {@code maxBytes} of each mesh response's body before the attempt counts as
     * answered, so an endpoint that dies in the middle of a body fails the attempt (and an
     * idempotent request is retried elsewhere) instead of failing the caller's read. Longer bodies
     * stream as usual, committed once their first {@code maxBytes} arrived. For request/response
     * APIs only: it delays a streamed response (server-sent events, long polls) until {@code
     * maxBytes} arrive. Default 0: off, the response is the caller's once its headers arrive.
     */
    public Builder bufferResponseBodies(long maxBytes) {
      if (maxBytes < 0 || maxBytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "bufferResponseBodies: " + maxBytes + " (expected: 0 for off, or up to 2^31-1 bytes)");
      }
      this.bufferBodyBytes = maxBytes;
      return this;
    }

    /**
     * The workload's mTLS credentials: calls to services whose policy says {@code tls: STRICT} use
     * mutual TLS only (a plaintext peer, an untrusted or expired certificate, or a SPIFFE ID the
     * policy does not allow fail the attempt with an {@code SSLHandshakeException} that names the
     * service, the endpoint and why); {@code PERMISSIVE} tries mutual TLS and falls back to
     * plaintext for a peer that does not speak TLS, reporting it through the credentials' reporter
     * once per endpoint. URLs stay {@code http://service/...}; each connection's transport follows
     * the policy the call started with, and connections of different transports are pooled apart.
     * {@link MeshCredentials#update Identity rotation} needs no rebuild: a client made by {@link
     * #client()} or {@link #addTo} closes its idle connections after each update, so new
     * connections present the new certificate. Without credentials, STRICT services are refused
     * and PERMISSIVE ones are called in plaintext.
     */
    public Builder credentials(MeshCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** A new client with OkHttp's defaults plus the mesh. */
    public OkHttpClient client() {
      return addTo(new OkHttpClient.Builder()).build();
    }

    /**
     * Adds the mesh interceptor to {@code builder} as its first application interceptor, so that
     * interceptors added before or after see the logical request once, while each attempt runs
     * OkHttp's own chain (redirects, bridge, cache, connect, network interceptors) again. Also
     * sets a socket factory that understands mesh endpoint addresses when the builder has the
     * default one. Call it after setting the builder's proxy and socket factory, if any: mesh
     * traffic never goes through a proxy, and a custom socket factory costs each mesh attempt one
     * more chain copy.
     *
     * @throws IllegalStateException if the builder already has the mesh
     */
    public OkHttpClient.Builder addTo(OkHttpClient.Builder builder) {
      for (Interceptor i : builder.interceptors()) {
        if (i instanceof MeshInterceptor) {
          throw new IllegalStateException(
              "MeshHttp.addTo: this OkHttpClient.Builder already has a mesh interceptor"
                  + " (expected: add the mesh once; a second one would nest attempt loops)");
        }
      }
      // One probe build reads the builder's settings (the builder has no getters); it starts no
      // threads and shares the builder's pool and dispatcher.
      OkHttpClient probe = builder.build();
      MeshTls tls = tls();
      MeshSocketFactory sockets = socketFactory(tls);
      if (probe.socketFactory() == SocketFactory.getDefault()) {
        // Sockets that also understand mesh endpoint addresses: then requests need no
        // per-attempt socket factory override. A custom factory is left alone (and bypassed for
        // mesh endpoints, attempt by attempt).
        builder.socketFactory(sockets);
      }
      if (tls != null) {
        tls.evictIdleOnRotation(probe.connectionPool());
      }
      builder.interceptors().add(0, interceptor(mayUseProxy(probe), sockets, tls));
      return builder;
    }

    /**
     * Whether the client could send a mesh request through a proxy: then each attempt overrides
     * the proxy with {@link Proxy#NO_PROXY} (one more chain copy); otherwise nothing is paid.
     */
    private static boolean mayUseProxy(OkHttpClient probe) {
      Proxy proxy = probe.proxy();
      if (proxy != null) {
        return proxy.type() != Proxy.Type.DIRECT;
      }
      for (Proxy p : probe.proxySelector().select(URI.create("http://meshclient.invalid/"))) {
        if (p.type() != Proxy.Type.DIRECT) {
          return true;
        }
      }
      return false;
    }

    /**
     * The bare interceptor, for a chain assembled by hand. It must be an application interceptor
     * (OkHttp refuses connection overrides in network interceptors). With {@link #credentials},
     * identity rotation does not close the client's idle connections (the interceptor does not
     * know the pool): they present the old certificate until OkHttp retires them.
     */
    public Interceptor interceptor() {
      MeshTls tls = tls();
      return interceptor(false, socketFactory(tls), tls);
    }

    private @Nullable MeshTls tls() {
      return credentials == null ? null : new MeshTls(credentials);
    }

    private static MeshSocketFactory socketFactory(@Nullable MeshTls tls) {
      return tls == null ? MeshSocketFactory.INSTANCE : new MeshSocketFactory(tls);
    }

    private Interceptor interceptor(
        boolean forceDirect, MeshSocketFactory sockets, @Nullable MeshTls tls) {
      OpenTelemetry otel = openTelemetry;
      if (otel == null && GlobalOpenTelemetry.isSet()) {
        otel = GlobalOpenTelemetry.get();
      }
      return new MeshInterceptor(
          mesh,
          unknownHosts == UnknownHosts.REFUSE,
          forceDirect,
          HttpTelemetry.create(otel),
          bufferBodyBytes,
          sockets,
          tls);
    }
  }
}
