package io.meshclient.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextServerCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.SpiffeId;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.InputStream;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.FileProblem;
import io.meshclient.config.PolicyDirectory;
import io.meshclient.config.internal.DirectoryWatcher;
import io.meshclient.config.internal.LiveRootsTrustManager;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import io.meshclient.config.v1.ServerStatus;
import com.google.protobuf.ByteString;
import io.meshclient.server.ca.CaException;
import io.meshclient.server.ca.CaStatus;
import io.meshclient.internal.tls.SessionTickets;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.ca.internal.BootstrapTokens;
import io.meshclient.server.registry.InstanceRegistry;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import io.meshclient.server.status.StatusHttpServer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * The config server: publishes a directory of policy files to subscribed clients over the config
 * stream, keeps the registry of live instances, issues workload certificates when it has a {@link
 * CertificateAuthority} (the {@code SignCertificate} RPC, authenticated by bootstrap tokens), streams
 * the CA's trust bundle, and serves its status over HTTP.
 *
 * <p>State changes (a reload of the directory, a registration, an expiry) run one at a time on a
 * control thread, each producing an immutable {@link Snapshot} with a new generation; the snapshot
 * is then pushed to every stream, and each stream sends only its subscribed services, and only if
 * they changed. Versions sent to a client are {@code <generation>-<hash>}: the generation is
 * monotonic (it starts at the wall-clock milliseconds of the start, so it also grows across
 * restarts), the hash is the SHA-256 of the resources the client receives, so equal content has an
 * equal hash part.
 */
public final class ConfigServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ConfigServer.class.getName());
  private static final Duration SERVER_CERT_TTL = Duration.ofHours(24);
  static final Context.Key<String> PEER = Context.key("meshclient-peer");
  static final Context.Key<String> PEER_HOST = Context.key("meshclient-peer-host");
  static final Context.Key<String> AUTHORIZATION = Context.key("meshclient-authorization");
  /** The SPIFFE ID of the caller's verified client certificate; absent without one. */
  static final Context.Key<SpiffeId> CALLER = Context.key("meshclient-caller");
  private static final Pattern WORKLOAD_PATH = Pattern.compile("/ns/[^/]+/sa/([^/]+)");
  private static final Metadata.Key<String> AUTHORIZATION_HEADER =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final PolicyDirectory directory;
  private final Duration debounce;
  private final Duration rescan;
  private final int requestedPort;
  private final int requestedStatusPort;
  private final double requestsPerSecond;
  private final double requestBurst;
  private final Clock clock;
  private final ScheduledExecutorService control;
  private final InstanceRegistry registry;
  private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
  private final AtomicLong sessionIds = new AtomicLong();

  private volatile Snapshot snapshot;
  private volatile Map<String, List<FileProblem>> rejected = Map.of();
  private long generation;
  private final Duration leaseGrace;
  // Until then, registry-derived endpoint lists may be incomplete (instances re-registering after a
  // restart of this server): resources say so, and clients merge rather than replace.
  private volatile long warmUntilMillis;
  private volatile boolean warming;
  private volatile long lastPushMicros;
  private @Nullable Server server;
  private @Nullable StatusHttpServer statusServer;
  private @Nullable DirectoryWatcher watcher;
  private final @Nullable CertificateAuthority ca;
  private final @Nullable TokenFile tokens;
  private final CertificateService certificates;
  private @Nullable DirectoryWatcher caWatcher;
  private @Nullable DirectoryWatcher tokenWatcher;
  private final @Nullable List<String> tlsNames;
  private final boolean requireIdentity;
  // The config port's own TLS identity, issued by the CA and renewed under the live listener.
  private @Nullable MeshCredentials tls;

  private ConfigServer(Builder b) {
    this.directory = new PolicyDirectory(Objects.requireNonNull(b.policies, "policies"));
    this.debounce = b.debounce;
    this.rescan = b.rescan;
    this.requestedPort = b.port;
    this.requestedStatusPort = b.statusPort;
    this.requestsPerSecond = b.requestsPerSecond;
    this.requestBurst = b.requestBurst;
    this.clock = b.clock;
    this.control = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "meshclient-server-control");
      t.setDaemon(true);
      return t;
    });
    this.registry = new InstanceRegistry(b.leaseGrace, control, clock, service -> publish());
    this.generation = clock.millis();
    this.leaseGrace = b.leaseGrace;
    this.ca = b.ca;
    this.tlsNames = b.tlsNames;
    this.requireIdentity = b.requireIdentity;
    if (tlsNames != null && ca == null) {
      throw new IllegalArgumentException("tls: the config port's certificate is issued by the CA"
          + " (expected: certificateAuthority(..) as well)");
    }
    if (requireIdentity && (ca == null || tlsNames == null)) {
      throw new IllegalArgumentException("requireIdentity: client certificates are verified on the TLS config port"
          + " against the CA's trust bundle (expected: certificateAuthority(..) and tls(..) as well)");
    }
    this.tokens = b.tokens == null ? null : new TokenFile(b.tokens, b.ca == null ? "meshclient.local" : b.ca.trustDomain());
    TokenFile t = tokens;
    this.certificates = new CertificateService(ca, () -> t == null ? BootstrapTokens.NONE : t.current(), clock,
        b.signPerSecond, b.signBurst);
    this.snapshot = new Snapshot(generation, PolicyDirectory.hash(Map.of()), Map.of(), Map.of(), false, trustBundle());
  }

  /** The CA's bundle as the stream carries it (DER), the signing root first; empty without a CA. */
  private List<ByteString> trustBundle() {
    CertificateAuthority a = ca;
    if (a == null) {
      return List.of();
    }
    List<ByteString> der = new ArrayList<>();
    for (X509Certificate c : a.trustBundle()) {
      try {
        der.add(ByteString.copyFrom(c.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    return der;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Reads the directory, starts the gRPC and status servers and the watch. */
  public ConfigServer start() throws IOException {
    TokenFile t = tokens;
    if (t != null) {
      t.reload();
      if (!t.loaded()) {
        throw new IllegalArgumentException("tokens file rejected: " + String.join("; ", t.problems()));
      }
    }
    warmUntilMillis = clock.millis() + leaseGrace.toMillis();
    warming = true;
    call(() -> {
      snapshot = new Snapshot(generation, snapshot.policyHash, snapshot.policies, snapshot.endpoints, true, trustBundle());
      reload();
    });
    control.schedule(() -> {
      warming = false;
      try {
        publish(); // the authoritative endpoint lists
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "config server: end of warm-up failed", e);
      }
    }, leaseGrace.toNanos(), TimeUnit.NANOSECONDS);
    ServerInterceptor peer = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress a = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String host = a instanceof InetSocketAddress inet ? inet.getHostString() : String.valueOf(a);
        Context c = Context.current().withValue(PEER, a == null ? "?" : a.toString()).withValue(PEER_HOST, host);
        String auth = headers.get(AUTHORIZATION_HEADER);
        if (auth != null) {
          c = c.withValue(AUTHORIZATION, auth);
        }
        SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        SpiffeId caller = ssl == null ? null : SpiffeId.fromSession(ssl);
        if (caller != null) {
          c = c.withValue(CALLER, caller);
        } else if (requireIdentity && call.getMethodDescriptor().getFullMethodName()
            .equals(MeshDiscoveryServiceGrpc.getStreamPoliciesMethod().getFullMethodName())) {
          // SignCertificate stays open: it is how a workload gets its first certificate (by token).
          call.close(Status.UNAUTHENTICATED.withDescription(noIdentity(ssl)), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(c, call, headers, next);
      }
    };
    server = Grpc.newServerBuilderForPort(requestedPort, serverCredentials())
        .addService(ServerInterceptors.intercept(discoveryService(), peer))
        .maxInboundMessageSize(1 << 20)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .build()
        .start();
    if (requestedStatusPort >= 0) {
      statusServer = StatusHttpServer.start(new InetSocketAddress(requestedStatusPort), this::status,
          this::nodeIdentities, this::caStatus);
    }
    watcher = new DirectoryWatcher(directory.directory(), debounce, rescan, () -> control(this::reload),
        "meshclient-server-watch").start();
    startCa();
    LOG.log(Level.INFO, "meshclient config server: policies from " + directory.directory() + ", gRPC on :"
        + port() + (statusServer == null ? "" : ", status on http://localhost:" + statusPort() + "/"));
    return this;
  }

  private void startCa() throws IOException {
    CertificateAuthority a = ca;
    if (a != null) {
      a.onChange(() -> control(() -> {
        publish();
        renewTls(); // chained to the root that signs now, before the old one is retired
        LOG.log(Level.INFO, "published trust bundle (" + a.stage() + ", " + a.trustBundle().size() + " roots) to "
            + sessions.size() + " streams");
      }));
      Path dir = a.stateDirectory();
      if (dir != null) {
        // Rotation steps taken by `meshclient-server ca ...` land in the directory; pick them up.
        caWatcher = new DirectoryWatcher(dir, debounce, rescan, () -> {
          try {
            a.reload();
          } catch (CaException e) {
            LOG.log(Level.WARNING, "CA state rejected (the current roots stay in force): " + e.getMessage());
          }
        }, "meshclient-server-ca-watch").start();
      }
      if (tls == null) {
        LOG.log(Level.WARNING, "the config port serves plaintext: bootstrap tokens and policies travel unencrypted"
            + " (expected in production: TLS on the config port)");
      }
    }
    TokenFile t = tokens;
    if (t != null) {
      Path parent = t.file().getParent();
      tokenWatcher = new DirectoryWatcher(parent, debounce, rescan, () -> control(t::reload),
          "meshclient-server-tokens-watch").start();
    }
  }

  private ServerCredentials serverCredentials() {
    CertificateAuthority a = ca;
    List<String> names = tlsNames;
    if (a == null || names == null) {
      return InsecureServerCredentials.create();
    }
    MeshCredentials t = MeshCredentials.create(a.issueServerIdentity(serverId(a), names, SERVER_CERT_TTL),
        a.trustBundle(), msg -> {});
    tls = t;
    scheduleTlsRenewal();
    if (!requireIdentity) {
      return TlsServerCredentials.newBuilder().keyManager(t.keyManager()).build();
    }
    // OPTIONAL, not REQUIRE: SignCertificate must stay reachable without a certificate. A
    // certificate that is presented must chain to the bundle as it is at this handshake. No
    // session tickets (SessionTickets: the JDK provider's own switch, through Netty): a resumed
    // session would carry the certificate of an earlier connection, skipping both the live trust
    // check (a retired root) and a renewed client certificate.
    try {
      SslContext context = GrpcSslContexts.configure(SslContextBuilder.forServer(t.keyManager()), SslProvider.JDK)
          .trustManager(new LiveRootsTrustManager(a::trustBundle))
          .clientAuth(ClientAuth.OPTIONAL)
          .sessionTimeout(SessionTickets.OFF_TIMEOUT_SECONDS)
          .build();
      return NettySslContextServerCredentials.create(context);
    } catch (SSLException e) {
      throw new IllegalStateException("config port: cannot build the TLS context: " + e.getMessage(), e);
    }
  }

  /** Why a stream without a usable client certificate is refused, and what would do. */
  private String noIdentity(@Nullable SSLSession ssl) {
    String presented = "none";
    if (ssl != null) {
      try {
        presented = ((X509Certificate) ssl.getPeerCertificates()[0]).getSubjectX500Principal()
            + ", which carries no SPIFFE ID";
      } catch (SSLPeerUnverifiedException | ClassCastException e) {
        presented = "none";
      }
    }
    return "this config server requires a workload certificate on the config stream, and the connection presented "
        + presented + " (expected: a client certificate for spiffe://" + Objects.requireNonNull(ca).trustDomain()
        + "/ns/<namespace>/sa/<service> issued by its CA, e.g. ConfigChannels.mtls(roots, credentials) with the"
        + " credentials of a CertificateRenewer)";
  }

  /**
   * Why {@code caller} may not register an instance of {@code service}, or null if it may: with
   * {@link Builder#requireIdentity}, only the service its SPIFFE ID names, in the CA's trust domain.
   */
  @Nullable String registrationDenied(@Nullable SpiffeId caller, String service) {
    CertificateAuthority a = ca;
    if (!requireIdentity || a == null) {
      return null;
    }
    String expected = "spiffe://" + a.trustDomain() + "/ns/<namespace>/sa/" + service;
    Matcher m = caller == null ? null : WORKLOAD_PATH.matcher(caller.path());
    if (caller != null && m != null && m.matches() && caller.trustDomain().equals(a.trustDomain())
        && m.group(1).equals(service)) {
      return null;
    }
    // The service's policy may name who serves it (the identities its clients accept under mTLS):
    // a workload serving several services (orders over HTTP and orders-grpc) registers for each.
    io.meshclient.config.v1.ServicePolicy policy = snapshot().policies.get(service);
    List<String> allowed = policy == null ? List.of() : policy.getIdentitiesList();
    if (caller != null && allowed.contains(caller.toString())) {
      return null;
    }
    return "registration of service '" + service + "' refused: the client certificate is "
        + (caller == null ? "absent" : caller.toString()) + " (expected: " + expected
        + ", the identity of a workload of that service"
        + (allowed.isEmpty() ? "" : ", or one of its policy's identities " + allowed) + ")";
  }

  /** The SPIFFE ID of each connected node's client certificate, by peer address (as in NodeStatus.peer). */
  public Map<String, String> nodeIdentities() {
    Map<String, String> out = new java.util.TreeMap<>();
    for (Session s : sessions) {
      SpiffeId id = s.caller;
      if (id != null && s.node != null) {
        out.put(s.peer, id.toString());
      }
    }
    return out;
  }

  private static SpiffeId serverId(CertificateAuthority a) {
    return SpiffeId.of(a.trustDomain(), "meshclient", "config-server");
  }

  private void scheduleTlsRenewal() {
    control.schedule(() -> {
      try {
        renewTls();
      } finally {
        scheduleTlsRenewal();
      }
    }, SERVER_CERT_TTL.toNanos() / 2, TimeUnit.NANOSECONDS);
  }

  private void renewTls() {
    MeshCredentials t = tls;
    CertificateAuthority a = ca;
    List<String> names = tlsNames;
    if (t != null && a != null && names != null) {
      t.update(a.issueServerIdentity(serverId(a), names, SERVER_CERT_TTL));
    }
  }

  /** The certificate the config port presents now, or null without TLS. */
  public @Nullable X509Certificate tlsCertificate() {
    MeshCredentials t = tls;
    return t == null || t.identity() == null ? null : t.identity().leaf();
  }

  /** The CA, or null when this server issues no certificates. */
  public @Nullable CertificateAuthority certificateAuthority() {
    return ca;
  }

  /** The CA's part of the status page, or null without a CA. */
  public @Nullable CaStatus caStatus() {
    CertificateAuthority a = ca;
    return a == null ? null : a.status();
  }

  /** Re-reads the tokens file now (the watch does this by itself; for tools and tests). */
  public void reloadTokensNow() {
    TokenFile t = tokens;
    if (t != null) {
      call(t::reload);
    }
  }

  /** The gRPC port (useful when started on port 0). */
  public int port() {
    return Objects.requireNonNull(server, "not started").getPort();
  }

  /** The status HTTP port, or -1 when status is off. */
  public int statusPort() {
    return statusServer == null ? -1 : statusServer.port();
  }

  /** The version of the whole published policy set, {@code <generation>-<hash>}. */
  public String policyVersion() {
    return snapshot.version();
  }

  public InstanceRegistry registry() {
    return registry;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  /** Reads the directory now (the watch does this by itself; for tools and tests). */
  public void reloadNow() {
    call(this::reload);
  }

  private void reload() {
    PolicyDirectory.Snapshot s = directory.reload();
    if (!s.rejected().equals(rejected)) { // log a rejection once, not at every rescan
      for (FileProblem p : s.problems()) {
        LOG.log(Level.WARNING, "rejected (the last good version stays in force): " + p);
      }
    }
    rejected = s.rejected();
    if (!s.hash().equals(snapshot.policyHash)) {
      publish(s.policies(), s.hash());
      LOG.log(Level.INFO, "published policy " + snapshot.version() + " (" + s.policies().size() + " services) to "
          + sessions.size() + " streams in " + lastPushMicros / 1000 + " ms");
    }
  }

  private void publish() {
    Snapshot cur = snapshot;
    publish(cur.policies, cur.policyHash);
  }

  private void publish(Map<String, io.meshclient.config.v1.ServicePolicy> policies, String hash) {
    generation = Math.max(generation + 1, clock.millis());
    Snapshot next = new Snapshot(generation, hash, policies, registry.endpoints(), warming, trustBundle());
    snapshot = next;
    long t0 = System.nanoTime();
    int n = 0;
    for (Session s : sessions) {
      s.push(next, false);
      n++;
    }
    long micros = (System.nanoTime() - t0) / 1000;
    int streams = n;
    LOG.log(Level.DEBUG, () -> "generation " + next.generation + " handed to " + streams + " streams in " + micros + " us");
    lastPushMicros = micros;
  }

  /** How long the last publication took to hand the snapshot to every stream (serialization included). */
  public long lastPushMicros() {
    return lastPushMicros;
  }

  /** Runs {@code task} on the control thread. */
  void control(Runnable task) {
    control.execute(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "config server: control task failed", e);
      }
    });
  }

  private void call(Runnable task) {
    try {
      control.submit(task).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("control thread stuck", e);
    }
  }

  void onSessionClosed(Session s) {
    if (sessions.remove(s)) {
      io.meshclient.config.v1.Node n = s.node;
      if (n != null) {
        String nodeId = n.getId();
        control(() -> registry.release(nodeId, s.id));
      }
    }
  }

  /** The status document: policy version, rejected files, connected nodes, registry. */
  public ServerStatus status() {
    ServerStatus.Builder b = ServerStatus.newBuilder();
    Snapshot snap = snapshot;
    b.setPolicyVersion(snap.version()).addAllServices(snap.policies.keySet());
    if (snap.warming) {
      b.setRegistryWarmUntil(java.time.Instant.ofEpochMilli(warmUntilMillis).toString());
    }
    rejected.forEach((file, problems) -> b.addRejectedFiles(io.meshclient.config.v1.FileProblem.newBuilder()
        .setFile(file).addAllProblems(problems.stream().map(FileProblem::toString).toList())));
    TokenFile t = tokens;
    if (t != null && !t.problems().isEmpty()) {
      b.addRejectedFiles(io.meshclient.config.v1.FileProblem.newBuilder().setFile(t.file().toString())
          .addAllProblems(t.problems()));
    }
    List<io.meshclient.config.v1.NodeStatus> nodes = new ArrayList<>();
    for (Session s : sessions) {
      if (s.node != null) {
        nodes.add(s.status());
      }
    }
    nodes.sort(Comparator.comparing(io.meshclient.config.v1.NodeStatus::getId)
        .thenComparing(io.meshclient.config.v1.NodeStatus::getPeer));
    b.addAllNodes(nodes);
    try {
      b.addAllRegistry(control.submit(registry::status).get(10, TimeUnit.SECONDS));
    } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
      LOG.log(Level.WARNING, "status: registry unavailable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return b.build();
  }

  /** Live sessions; for tests. */
  int sessionCount() {
    return sessions.size();
  }

  /** Stops accepting, closes every stream (clients reconnect elsewhere or later), stops the watch. */
  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
    if (caWatcher != null) {
      caWatcher.close();
    }
    if (tokenWatcher != null) {
      tokenWatcher.close();
    }
    if (statusServer != null) {
      statusServer.close();
    }
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    control.shutdownNow();
  }

  /** Blocks until the gRPC server terminates. */
  public void awaitTermination() throws InterruptedException {
    Objects.requireNonNull(server, "not started").awaitTermination();
  }

  /** A request as it came off the wire: parsed, or the reason it could not be. */
  private record Incoming(@Nullable DiscoveryRequest request, String error) {}

  /**
   * Parses requests itself, so that bytes that are not a {@code DiscoveryRequest} close the stream
   * with INVALID_ARGUMENT and the parser's reason, rather than grpc-java's generic UNKNOWN
   * "Application error processing RPC".
   */
  private static final class LenientMarshaller implements MethodDescriptor.Marshaller<Incoming> {
    @Override
    public InputStream stream(Incoming value) {
      DiscoveryRequest r = value.request();
      return (r == null ? DiscoveryRequest.getDefaultInstance() : r).toByteString().newInput();
    }

    @Override
    public Incoming parse(InputStream stream) {
      try {
        return new Incoming(DiscoveryRequest.parseFrom(stream), "");
      } catch (IOException e) {
        return new Incoming(null, String.valueOf(e.getMessage()));
      }
    }
  }

  private ServerServiceDefinition discoveryService() {
    MethodDescriptor<Incoming, DiscoveryResponse> method = MeshDiscoveryServiceGrpc.getStreamPoliciesMethod()
        .toBuilder(new LenientMarshaller(), ProtoUtils.marshaller(DiscoveryResponse.getDefaultInstance()))
        .build();
    return ServerServiceDefinition.builder(MeshDiscoveryServiceGrpc.SERVICE_NAME)
        .addMethod(method, ServerCalls.asyncBidiStreamingCall(responses -> {
          Session s = new Session(ConfigServer.this, (ServerCallStreamObserver<DiscoveryResponse>) responses,
              sessionIds.incrementAndGet(), PEER.get() == null ? "?" : PEER.get(), CALLER.get(), requestsPerSecond,
              requestBurst);
          sessions.add(s);
          return new StreamObserver<Incoming>() {
            @Override
            public void onNext(Incoming in) {
              DiscoveryRequest r = in.request();
              if (r == null) {
                s.rejectUnreadable(in.error());
              } else {
                s.onNext(r);
              }
            }

            @Override
            public void onError(Throwable t) {
              s.onError(t);
            }

            @Override
            public void onCompleted() {
              s.onCompleted();
            }
          };
        }))
        .addMethod(MeshDiscoveryServiceGrpc.getSignCertificateMethod(), ServerCalls.asyncUnaryCall((request, out) ->
            certificates.sign(request, AUTHORIZATION.get(), PEER_HOST.get() == null ? "?" : PEER_HOST.get(),
                PEER.get() == null ? "?" : PEER.get(), out)))
        .build();
  }

  /** Builds a {@link ConfigServer}. */
  public static final class Builder {
    private @Nullable Path policies;
    private int port = 0;
    private int statusPort = -1;
    private Duration leaseGrace = Duration.ofSeconds(30);
    private Duration debounce = Duration.ofMillis(100);
    private Duration rescan = Duration.ofSeconds(30);
    private double requestsPerSecond = 50;
    private double requestBurst = 100;
    private Clock clock = Clock.systemUTC();
    private @Nullable CertificateAuthority ca;
    private @Nullable Path tokens;
    private double signPerSecond = 5;
    private double signBurst = 20;
    private @Nullable List<String> tlsNames;
    private boolean requireIdentity;

    private Builder() {}

    /**
     * Require a workload certificate on the config stream (default false). The TLS port then asks
     * every client for a certificate and verifies one that is presented against the CA's current
     * trust bundle (rotations included); {@code StreamPolicies} without one is refused with
     * UNAUTHENTICATED, and a stream may register only instances of the service its SPIFFE ID names
     * ({@code spiffe://<trust domain>/ns/<namespace>/sa/<service>} with the CA's trust domain),
     * others are refused with PERMISSION_DENIED. {@code SignCertificate} needs no certificate (its
     * bootstrap token authenticates it). Needs {@link #tls} and {@link #certificateAuthority}.
     */
    public Builder requireIdentity(boolean require) {
      this.requireIdentity = require;
      return this;
    }

    /** Issue workload certificates with {@code ca} and stream its trust bundle (default: no CA). */
    public Builder certificateAuthority(CertificateAuthority ca) {
      this.ca = Objects.requireNonNull(ca, "ca");
      return this;
    }

    /** The bootstrap tokens file (YAML; reloaded when it changes). Without one, every token is unknown. */
    public Builder tokens(Path file) {
      this.tokens = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Serve the config port over TLS with a certificate the CA issues to this server (and renews),
     * its SAN listing {@code hostNames}: the DNS names and IP addresses clients dial, e.g. {@code
     * localhost, 127.0.0.1}. Clients trust it through the CA's bundle ({@code bundle.pem} in the state
     * directory). Needs {@link #certificateAuthority}.
     */
    public Builder tls(List<String> hostNames) {
      if (hostNames.isEmpty()) {
        throw new IllegalArgumentException("tls: no host names (expected: the names clients dial, e.g. localhost, 127.0.0.1)");
      }
      this.tlsNames = List.copyOf(hostNames);
      return this;
    }

    /** Certificate requests per second one peer address may send, and the burst (default 5/s, 20). */
    public Builder signLimit(double perSecond, double burst) {
      this.signPerSecond = perSecond;
      this.signBurst = burst;
      return this;
    }

    /** The directory of policy files (required). */
    public Builder policies(Path dir) {
      this.policies = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** The gRPC port; 0 for any free one (default). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The status HTTP port; 0 for any free one, -1 for none (default). */
    public Builder statusPort(int statusPort) {
      this.statusPort = statusPort;
      return this;
    }

    /** How long a disconnected instance stays registered (default 30 s). */
    public Builder leaseGrace(Duration grace) {
      this.leaseGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /** How long the directory must be quiet before it is read (default 100 ms). */
    public Builder debounce(Duration debounce) {
      this.debounce = Objects.requireNonNull(debounce, "debounce");
      return this;
    }

    /** A full re-read this often even without file events (default 30 s). */
    public Builder rescan(Duration rescan) {
      this.rescan = Objects.requireNonNull(rescan, "rescan");
      return this;
    }

    /** Requests per second one stream may send, and the burst (default 50/s, 100). */
    public Builder requestLimit(double perSecond, double burst) {
      this.requestsPerSecond = perSecond;
      this.requestBurst = burst;
      return this;
    }

    /** The wall clock: version generations, registry times, bootstrap token expiry (default UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public ConfigServer build() {
      return new ConfigServer(this);
    }
  }
}
