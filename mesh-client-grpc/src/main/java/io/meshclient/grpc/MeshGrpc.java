package io.meshclient.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.ServerInterceptor;
import io.grpc.TlsChannelCredentials;
import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.ServiceHandle;
import io.meshclient.grpc.internal.FreshHandshakes;
import io.meshclient.grpc.internal.MeshCallChannel;
import io.meshclient.grpc.internal.MeshLoadBalancerProvider;
import io.meshclient.grpc.internal.MeshManagedChannel;
import io.meshclient.grpc.internal.MeshNameResolverProvider;
import io.meshclient.grpc.internal.OtelGrpc;
import io.meshclient.grpc.internal.Schedulers;
import io.meshclient.grpc.internal.Transport;
import io.meshclient.grpc.internal.Transports;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.opentelemetry.api.OpenTelemetry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * gRPC channels to logical services of a {@link Mesh}. Generated stubs work unchanged:
 *
 * <pre>{@code
 * ManagedChannel channel = MeshGrpc.channel(mesh, "orders");
 * OrdersGrpc.OrdersBlockingStub orders = OrdersGrpc.newBlockingStub(channel);
 * }</pre>
 *
 * <p>The channel's endpoints come from the mesh (target {@code mesh:///orders}); every call is
 * routed, balanced, admitted, recorded and retried by the engine under the service's policy, with
 * grpc-java's own retry disabled. The caller's deadline bounds all attempts. The application shuts
 * the channel down as any other.
 *
 * <p>Mutual TLS follows the service's live {@code tls} policy when the channel is built with
 * {@link Builder#credentials(MeshCredentials)}: each call is made plaintext (DISABLE) or with
 * mutual TLS (PERMISSIVE, STRICT), the server checked against the trust bundle and the identities
 * the policy allows.
 */
public final class MeshGrpc {

  private MeshGrpc() {}

  /**
   * A channel to {@code service} over the default transport (Netty), default options, without a
   * mesh identity: plaintext, and calls to a service whose policy is {@code tls: STRICT} fail with
   * {@code FAILED_PRECONDITION}.
   */
  public static ManagedChannel channel(Mesh mesh, String service) {
    return builder(mesh, service).build();
  }

  /** A builder for a channel to {@code service}, for options. */
  public static Builder builder(Mesh mesh, String service) {
    return new Builder(mesh, service);
  }

  /**
   * For servers: extracts the W3C trace context from incoming metadata and makes the SERVER span
   * (OpenTelemetry's maintained gRPC instrumentation, RPC semantic conventions). Add it with {@code
   * ServerBuilder.intercept(..)}; leave it out where the OpenTelemetry Java agent already
   * instruments the server, or spans would be doubled. Needs the optional dependency {@code
   * io.opentelemetry.instrumentation:opentelemetry-grpc-1.6}.
   */
  public static ServerInterceptor serverInterceptor(OpenTelemetry openTelemetry) {
    return OtelGrpc.serverInterceptor(openTelemetry);
  }

  /** Options of a mesh channel. Not thread-safe; {@link #build()} may be called more than once. */
  public static final class Builder {
    private final Mesh mesh;
    private final String service;
    private ChannelCredentials credentials = InsecureChannelCredentials.create();
    private boolean applicationCredentials;
    private @Nullable MeshCredentials meshCredentials;
    private @Nullable Executor executor;
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable OpenTelemetry openTelemetry;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();
    private @Nullable Function<String, ManagedChannelBuilder<?>> transport;
    private Class<? extends SocketAddress> addressType = InetSocketAddress.class;
    private Function<Endpoint, ? extends SocketAddress> addresses =
        MeshNameResolverProvider::defaultAddress;
    private @Nullable Consumer<ManagedChannelBuilder<?>> configurer;

    private Builder(Mesh mesh, String service) {
      this.mesh = Objects.requireNonNull(mesh, "mesh");
      Objects.requireNonNull(service, "service");
      if (service.isBlank()
          || service.indexOf('/') >= 0
          || service.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "service: '"
                + service
                + "' (expected: a mesh service name without '/' or spaces, such as 'orders')");
      }
      this.service = service;
    }

    /**
     * Mutual TLS with the workload's mesh identity, as the service's policy asks at each call:
     * {@code tls: DISABLE} calls are plaintext; PERMISSIVE and STRICT calls use mutual TLS,
     * presenting {@code credentials}' current identity and checking the server's certificate
     * against its trust bundle and its SPIFFE ID against the policy's {@code identities} (STRICT
     * refuses others, PERMISSIVE reports them). Rotation ({@link MeshCredentials#update}, {@link
     * MeshCredentials#updateTrust}) applies to every new connection without rebuilding the channel.
     * A PERMISSIVE call does not fall back to plaintext: the server must accept TLS. Replaces
     * {@link #credentials(ChannelCredentials)}.
     */
    public Builder credentials(MeshCredentials credentials) {
      this.meshCredentials = Objects.requireNonNull(credentials, "credentials");
      this.credentials = InsecureChannelCredentials.create();
      this.applicationCredentials = false;
      return this;
    }

    /**
     * The application's own channel credentials (its own TLS), used for every call whatever the
     * policy's {@code tls} mode: the mesh then leaves transport security to the application.
     * Replaces {@link #credentials(MeshCredentials)}. Default: plaintext, with mutual TLS refused
     * by STRICT services (see {@link MeshGrpc#channel}).
     */
    public Builder credentials(ChannelCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      this.applicationCredentials = true;
      this.meshCredentials = null;
      return this;
    }

    /** The executor for call callbacks (grpc's default: a shared cached pool). */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** The timer that ends retry backoffs (default: one shared daemon thread). */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Traces and measures every attempt as a CLIENT span with OpenTelemetry's gRPC instrumentation
     * (RPC semantic conventions, W3C context injected into metadata), with the mesh's {@code
     * meshclient.*} attributes added. Leave unset when the OpenTelemetry Java agent instruments the
     * application: it already makes one span per call. Needs the optional dependency {@code
     * io.opentelemetry.instrumentation:opentelemetry-grpc-1.6}.
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Application interceptors. They see each logical call once, above the mesh's retries; as with
     * {@link ManagedChannelBuilder#intercept}, the last one given runs first.
     */
    public Builder intercept(ClientInterceptor... interceptors) {
      for (ClientInterceptor i : interceptors) {
        this.interceptors.add(Objects.requireNonNull(i, "interceptor"));
      }
      return this;
    }

    /**
     * Another transport: {@code target -> builder}, for example {@code
     * InProcessChannelBuilder::forTarget}. The mesh installs its name resolver on the returned
     * builder. Use with {@link #addresses} when the transport wants other socket addresses.
     */
    public Builder transport(Function<String, ManagedChannelBuilder<?>> transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * How an endpoint becomes a socket address (default: an {@link InetSocketAddress} of its host
     * and port). {@code type} is what the transport is asked to support.
     */
    public <A extends SocketAddress> Builder addresses(
        Class<A> type, Function<Endpoint, A> addresses) {
      this.addressType = Objects.requireNonNull(type, "type");
      this.addresses = Objects.requireNonNull(addresses, "addresses");
      return this;
    }

    /**
     * Further transport options (keepalive, message limits, user agent) applied to the channel
     * builder before the mesh's own settings, which win: name resolution, load balancing and retry
     * stay the mesh's. Interceptors added here run below the mesh, once per attempt; add
     * application interceptors with {@link #intercept} instead.
     */
    public Builder configure(Consumer<ManagedChannelBuilder<?>> configurer) {
      this.configurer = Objects.requireNonNull(configurer, "configurer");
      return this;
    }

    /** Builds the channel. Its lifecycle is the caller's: shut it down when done. */
    public ManagedChannel build() {
      if (meshCredentials != null && transport != null) {
        throw new IllegalStateException(
            "credentials(MeshCredentials) with a custom transport(..) for service '"
                + service
                + "' (expected: the default Netty transport, which carries mutual TLS; a custom"
                + " transport builder takes no channel credentials)");
      }
      ServiceHandle handle = mesh.service(service);
      List<String> perAttemptHeaders =
          openTelemetry == null
              ? List.of()
              : List.copyOf(openTelemetry.getPropagators().getTextMapPropagator().fields());
      Transports transports =
          new Transports(
              handle,
              realChannels(),
              credentials,
              meshCredentials == null ? null : mtls(meshCredentials, handle),
              applicationCredentials);
      transports.prepare();
      // Interceptor order, innermost first:
      //   [real channel: attempt attributes < OpenTelemetry tracing] < mesh retries < application.
      // Tracing must be below the mesh so that each attempt is its own CLIENT span with its own
      // injected trace context; the attributes interceptor must be below tracing so that the
      // attempt's span is current when it runs. The application's interceptors sit above the
      // choice of plaintext or mTLS, so they see every logical call once.
      MeshCallChannel calls =
          new MeshCallChannel(
              handle,
              scheduler != null ? scheduler : Schedulers.shared(),
              transports,
              openTelemetry != null,
              perAttemptHeaders);
      return new MeshManagedChannel(
          service, ClientInterceptors.intercept(calls, List.copyOf(interceptors)), transports);
    }

    /**
     * Mutual TLS from the mesh identity. grpc's Netty transport asks the TLS engine for host name
     * verification ("HTTPS" endpoint identification) against the channel's authority, the service
     * name. A JDK or OpenSSL engine leaves that check to an {@code X509ExtendedTrustManager} when
     * the application supplies one, and the mesh's trust manager is one: it checks the SPIFFE ID
     * against the policy instead, the only name an SVID carries. This is grpc's supported route
     * (a custom trust manager in {@link TlsChannelCredentials}); no authority override or
     * host-name-verifier hook is needed.
     */
    private static ChannelCredentials mtls(MeshCredentials credentials, ServiceHandle handle) {
      return TlsChannelCredentials.newBuilder()
          .keyManager(credentials.keyManager())
          .trustManager(FreshHandshakes.of(credentials.trustManager(PeerPolicy.of(handle))))
          .build();
    }

    /**
     * How a real channel below the mesh channel is made (built on first use, with this builder's
     * options as they are now).
     */
    private Function<ChannelCredentials, Transport> realChannels() {
      String target = MeshNameResolverProvider.target(service);
      Mesh mesh = this.mesh;
      Class<? extends SocketAddress> addressType = this.addressType;
      Function<Endpoint, ? extends SocketAddress> addresses = this.addresses;
      Function<String, ManagedChannelBuilder<?>> transport = this.transport;
      Consumer<ManagedChannelBuilder<?>> configurer = this.configurer;
      Executor executor = this.executor;
      OpenTelemetry openTelemetry = this.openTelemetry;
      return creds -> {
        MeshNameResolverProvider resolver =
            new MeshNameResolverProvider(mesh, addressType, addresses);
        ManagedChannelBuilder<?> b = newChannelBuilder(transport, target, creds, resolver);
        if (configurer != null) {
          configurer.accept(b);
        }
        b.defaultLoadBalancingPolicy(MeshLoadBalancerProvider.POLICY_NAME);
        b.disableRetry(); // the mesh retries; see MeshClientCall
        if (executor != null) {
          b.executor(executor);
        }
        if (openTelemetry != null) {
          b.intercept(OtelGrpc.clientInterceptors(openTelemetry));
        }
        return new Transport(b.build(), resolver.ready());
      };
    }

    /** Gives the channel builder this channel's resolver, in a registry of its own. */
    @SuppressWarnings("deprecation") // the only way to give a custom transport builder a resolver
    private static ManagedChannelBuilder<?> newChannelBuilder(
        @Nullable Function<String, ManagedChannelBuilder<?>> transport,
        String target,
        ChannelCredentials credentials,
        MeshNameResolverProvider resolver) {
      if (transport == null) {
        NameResolverRegistry resolvers = new NameResolverRegistry();
        resolvers.register(resolver);
        return Grpc.newChannelBuilder(target, credentials, resolvers);
      }
      ManagedChannelBuilder<?> b = transport.apply(target);
      // A provider (not a bare factory) keeps its address types, which the transport checks.
      b.nameResolverFactory(resolver);
      return b;
    }

    @Override
    public String toString() {
      return "MeshGrpc.Builder{service=" + service + ", interceptors=" + interceptors + "}";
    }
  }
}
