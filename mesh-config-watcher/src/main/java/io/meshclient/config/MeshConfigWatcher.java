package io.meshclient.config;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.config.internal.Certificates;
import io.meshclient.config.internal.PolicyCache;
import io.meshclient.config.internal.ReconnectBackoff;
import io.meshclient.config.internal.SharedTimer;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.ErrorDetail;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import io.meshclient.config.v1.Node;
import io.meshclient.config.v1.Registration;
import io.meshclient.config.v1.ServiceResource;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.tls.MeshCredentials;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a {@link Mesh} (or any {@link PolicySink}) on the policy the config server publishes.
 *
 * <p>It opens one bidirectional stream ({@code meshclient.v1.MeshDiscoveryService/StreamPolicies},
 * DESIGN.md §4), identifies this process ({@link NodeIdentity}), subscribes to the services it
 * calls, and applies every update the server pushes. Each update is acknowledged: ACK when applied,
 * NACK with the reason when the policy or the sink rejected it, in which case the previous policy
 * stays in force. When the stream ends it reconnects with exponential backoff and jitter, while the
 * sink keeps running on the last policy.
 *
 * <p>With a {@link Builder#cacheDirectory cache directory}, every applied update is persisted
 * atomically and {@link #start()} applies the cached one first, so a process that restarts while
 * the server is down runs on its last policy. A corrupt cache is reported and ignored.
 *
 * <p>A process that serves traffic can {@link Builder#register register} its own endpoint over the
 * same stream: it stays in the server's registry while the stream lives, and for a grace period
 * after.
 *
 * <p>With {@link Builder#trustBundleTo}, the CA certificates the server streams keep the process's
 * {@link MeshCredentials} trusting the current roots through a CA rotation. Reach the server over
 * TLS with {@link Builder#target(String, ChannelCredentials)} and {@link ConfigChannels#tls(Path)}.
 *
 * <p>Thread-safety: all state changes run one at a time in a {@link SynchronizationContext}; the
 * sink is never called concurrently.
 */
public final class MeshConfigWatcher implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(MeshConfigWatcher.class.getName());

  private final Channel channel;
  private final @Nullable ManagedChannel ownedChannel;
  private final NodeIdentity node;
  private final PolicySink sink;
  private final @Nullable PolicyCache cache;
  private final @Nullable EndpointSpec registration;
  private final @Nullable MeshCredentials trustTarget;
  private final ReconnectBackoff backoff;
  private final ScheduledExecutorService timer;
  private final WatcherListener listener;
  private final SynchronizationContext sync;

  // Guarded by sync (only touched from tasks run in it).
  private Set<String> subscriptions;
  private @Nullable Stream stream;
  private SynchronizationContext.@Nullable ScheduledHandle reconnect;
  private int attempts;
  private boolean closed;
  private boolean started;
  private String appliedVersion = "";
  private String appliedPolicyHash = "";
  private Map<String, List<EndpointSpec>> appliedEndpoints = new HashMap<>();
  private volatile String version = "";
  private volatile boolean connected;
  private volatile String lastError = "";

  private MeshConfigWatcher(Builder b) {
    if (b.channel != null) {
      this.channel = b.channel;
      this.ownedChannel = null;
    } else {
      ManagedChannel c = ConfigChannels.open(Objects.requireNonNull(b.target, "target or channel"),
          b.channelCredentials, "meshclient-watcher");
      this.channel = c;
      this.ownedChannel = c;
    }
    this.node = Objects.requireNonNull(b.node, "node");
    this.sink = Objects.requireNonNull(b.sink, "mesh or sink");
    this.cache = b.cacheDirectory == null ? null : new PolicyCache(b.cacheDirectory);
    this.registration = b.registration;
    this.trustTarget = b.trustTarget;
    this.backoff = new ReconnectBackoff(b.backoffInitial, b.backoffMax, b.random);
    this.timer = b.timer == null ? SharedTimer.get() : b.timer;
    this.listener = b.listener;
    this.subscriptions = new LinkedHashSet<>(b.subscriptions);
    this.sync = new SynchronizationContext(
        (t, e) -> LOG.log(Level.ERROR, "meshclient watcher " + node.id() + ": unexpected error", e));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Applies the cached policy (if any), then connects. Returns at once; the first update arrives
   * asynchronously ({@link WatcherListener#onApplied}).
   */
  public MeshConfigWatcher start() {
    sync.execute(() -> {
      if (started || closed) {
        return;
      }
      started = true;
      loadCache();
      connect();
    });
    return this;
  }

  /** The version last applied (from the server or the cache), or the empty string. */
  public String version() {
    return version;
  }

  /** Why the last rejected update was rejected (NACKed), or the empty string; for health endpoints. */
  public String lastError() {
    return lastError;
  }

  /** Whether a stream is open and the server has answered on it. */
  public boolean connected() {
    return connected;
  }

  public NodeIdentity node() {
    return node;
  }

  /** Replaces the set of subscribed services; the server answers with a matching update. */
  public void subscribe(Set<String> services) {
    Set<String> copy = new LinkedHashSet<>(services);
    sync.execute(() -> {
      subscriptions = copy;
      if (stream != null) {
        stream.send(DiscoveryRequest.newBuilder()
            .addAllResourceNames(subscriptions)
            .setVersionInfo(appliedVersion)
            .setResponseNonce(stream.lastNonce)
            .build());
      }
    });
  }

  /** Ends the stream (the server starts this node's lease grace period) and stops reconnecting. */
  @Override
  public void close() {
    sync.execute(() -> {
      closed = true;
      if (reconnect != null) {
        reconnect.cancel();
      }
      if (stream != null) {
        stream.requests.onCompleted();
        stream = null;
      }
      connected = false;
    });
    if (ownedChannel != null) {
      ConfigChannels.shutdown(ownedChannel);
    }
  }

  private void loadCache() {
    if (cache == null) {
      return;
    }
    DiscoveryResponse cached;
    try {
      cached = cache.read();
    } catch (IOException | PolicyCache.CorruptCacheException e) {
      String why = e.getMessage();
      LOG.log(Level.WARNING, "meshclient: ignoring the policy cache " + cache.file() + ": " + why);
      listener.onCacheProblem(cache.file(), why == null ? e.toString() : why);
      return;
    }
    if (cached == null) {
      return;
    }
    // A cached bundle may be older than the one the credentials hold now: trust comes live only.
    String error = apply(cached, false);
    if (error != null) {
      LOG.log(Level.WARNING, "meshclient: ignoring the policy cache " + cache.file() + ": " + error);
      listener.onCacheProblem(cache.file(), "holds a policy that is not valid here: " + error);
    } else {
      listener.onCacheLoaded(cached.getVersionInfo());
    }
  }

  private void connect() {
    reconnect = null;
    if (closed) {
      return;
    }
    Stream s = new Stream();
    stream = s;
    MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(s);
    DiscoveryRequest.Builder first = DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder()
            .setId(node.id())
            .setService(node.service())
            .setZone(node.zone())
            .putAllLabels(node.labels())
            .setUserAgent("meshclient-java"))
        .addAllResourceNames(subscriptions)
        .setVersionInfo(appliedVersion);
    if (registration != null) {
      first.setRegistration(Registration.newBuilder()
          .setAddress(registration.address())
          .setZone(registration.zone().isEmpty() ? node.zone() : registration.zone())
          .setWeight(registration.weight())
          .putAllLabels(registration.labels().isEmpty() ? node.labels() : registration.labels()));
    }
    s.send(first.build());
  }

  private void onResponse(Stream s, DiscoveryResponse response) {
    if (s != stream || closed) {
      return;
    }
    attempts = 0;
    connected = true;
    s.lastNonce = response.getNonce();
    String error = apply(response, true);
    DiscoveryRequest.Builder ack = DiscoveryRequest.newBuilder().setResponseNonce(response.getNonce());
    if (error == null) {
      ack.setVersionInfo(response.getVersionInfo());
      if (cache != null) {
        try {
          cache.write(response);
        } catch (IOException e) {
          LOG.log(Level.WARNING, "meshclient: cannot write the policy cache " + cache.file() + ": " + e);
        }
      }
    } else {
      LOG.log(Level.WARNING, "meshclient: rejected policy version " + response.getVersionInfo() + ": " + error);
      lastError = error;
      listener.onRejected(response.getVersionInfo(), error);
      ack.setVersionInfo(appliedVersion)
          .setErrorDetail(ErrorDetail.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value()).setMessage(error));
    }
    s.send(ack.build());
  }

  /**
   * Applies an update to the sink (and its trust bundle to the credentials, when {@code withTrust});
   * returns null, or why it was rejected. A rejected update changes nothing.
   */
  private @Nullable String apply(DiscoveryResponse r, boolean withTrust) {
    List<X509Certificate> roots = null;
    if (withTrust && trustTarget != null && r.getTrustBundleCount() > 0) {
      try {
        roots = Certificates.parseDer(r.getTrustBundleList(), "trust_bundle");
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
      if (roots.equals(trustTarget.trustRoots())) {
        roots = null;
      }
    }
    Map<String, io.meshclient.config.v1.ServicePolicy> policies = new TreeMap<>();
    Map<String, List<EndpointSpec>> endpoints = new TreeMap<>();
    for (ServiceResource res : r.getResourcesList()) {
      if (res.hasPolicy()) {
        if (!res.getPolicy().getService().equals(res.getName())) {
          return "resource '" + res.getName() + "' carries the policy of '" + res.getPolicy().getService() + "'";
        }
        policies.put(res.getName(), res.getPolicy());
      }
      if (!res.hasPolicy() || res.getPolicy().getEndpointsCount() == 0) {
        List<EndpointSpec> list = PolicyConversion.endpoints(res.getEndpointsList());
        List<EndpointSpec> before = appliedEndpoints.get(res.getName());
        if (res.getEndpointsWarming() && before != null) {
          // The server restarted recently and instances may still be re-registering: keep what we
          // had, add what is new (outlier detection deals with any that are really gone).
          Map<String, EndpointSpec> merged = new java.util.LinkedHashMap<>();
          before.forEach(e -> merged.put(e.address(), e));
          list.forEach(e -> merged.put(e.address(), e));
          list = List.copyOf(merged.values());
        }
        endpoints.put(res.getName(), list);
      }
    }
    String policyHash = PolicyDirectory.hash(policies);
    boolean policyChanged = !policyHash.equals(appliedPolicyHash);
    MeshPolicy policy = null;
    try {
      if (policyChanged) {
        policy = PolicyConversion.toMeshPolicy(r.getVersionInfo(), policies.values());
        sink.apply(policy);
        appliedPolicyHash = policyHash;
      }
      // Services that lost their registered endpoints get an empty list.
      for (String gone : appliedEndpoints.keySet()) {
        endpoints.putIfAbsent(gone, List.of());
      }
      Map<String, List<EndpointSpec>> nowApplied = new HashMap<>(appliedEndpoints);
      for (Map.Entry<String, List<EndpointSpec>> e : endpoints.entrySet()) {
        List<EndpointSpec> before = appliedEndpoints.get(e.getKey());
        if (e.getValue().equals(before) || (before == null && e.getValue().isEmpty())) {
          continue;
        }
        sink.endpoints(e.getKey(), e.getValue());
        listener.onEndpoints(e.getKey(), e.getValue().size());
        if (e.getValue().isEmpty()) {
          nowApplied.remove(e.getKey());
        } else {
          nowApplied.put(e.getKey(), e.getValue());
        }
      }
      appliedEndpoints = nowApplied;
    } catch (IllegalArgumentException e) { // includes PolicyValidationException
      return e.getMessage() == null ? e.toString() : e.getMessage();
    }
    appliedVersion = r.getVersionInfo();
    version = appliedVersion;
    if (policy != null) {
      listener.onApplied(appliedVersion, policy);
    }
    if (roots != null && trustTarget != null) {
      trustTarget.updateTrust(roots);
      List<X509Certificate> now = roots;
      LOG.log(Level.INFO, () -> "meshclient: trust bundle from config version " + appliedVersion + " is now "
          + Certificates.subjects(now));
      listener.onTrustBundle(appliedVersion, roots);
    }
    return null;
  }

  private void onClosed(Stream s, Status status) {
    if (s != stream) {
      return;
    }
    stream = null;
    connected = false;
    if (closed) {
      return;
    }
    long delay = backoff.delayNanos(attempts++);
    LOG.log(Level.DEBUG, () -> "meshclient: config stream closed (" + status + "), retrying in "
        + Duration.ofNanos(delay));
    listener.onDisconnected(status, Duration.ofNanos(delay));
    reconnect = sync.schedule(this::connect, delay, TimeUnit.NANOSECONDS, timer);
  }

  /** One stream; callbacks from an old stream are ignored once a new one exists. */
  private final class Stream implements ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
    ClientCallStreamObserver<DiscoveryRequest> requests;
    String lastNonce = "";

    @Override
    public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requestStream) {
      this.requests = requestStream;
    }

    void send(DiscoveryRequest r) {
      try {
        requests.onNext(r);
      } catch (RuntimeException e) { // the call is already cancelled: onError follows
        LOG.log(Level.DEBUG, "meshclient: send on a closed stream", e);
      }
    }

    @Override
    public void onNext(DiscoveryResponse value) {
      sync.execute(() -> onResponse(this, value));
    }

    @Override
    public void onError(Throwable t) {
      sync.execute(() -> onClosed(this, Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      sync.execute(() -> onClosed(this, Status.UNAVAILABLE.withDescription("server ended the stream")));
    }
  }

  /** Builds a {@link MeshConfigWatcher}. */
  public static final class Builder {
    private @Nullable String target;
    private ChannelCredentials channelCredentials = InsecureChannelCredentials.create();
    private @Nullable Channel channel;
    private @Nullable MeshCredentials trustTarget;
    private @Nullable NodeIdentity node;
    private @Nullable PolicySink sink;
    private final Set<String> subscriptions = new LinkedHashSet<>();
    private @Nullable Path cacheDirectory;
    private @Nullable EndpointSpec registration;
    private Duration backoffInitial = Duration.ofSeconds(1);
    private Duration backoffMax = Duration.ofSeconds(30);
    private RandomSource random = RandomSource.threadLocal();
    private @Nullable ScheduledExecutorService timer;
    private WatcherListener listener = WatcherListener.NONE;

    private Builder() {}

    /**
     * The config server, {@code host:port} or any gRPC target, in plaintext (loopback and tests;
     * see {@link #target(String, ChannelCredentials)}); the watcher owns the channel.
     */
    public Builder target(String target) {
      return target(target, InsecureChannelCredentials.create());
    }

    /**
     * The config server, reached with {@code credentials}, e.g. {@link ConfigChannels#tls(Path)}
     * for TLS with the CA certificates of a PEM file; the watcher owns the channel.
     */
    public Builder target(String target, ChannelCredentials credentials) {
      this.target = Objects.requireNonNull(target, "target");
      this.channelCredentials = Objects.requireNonNull(credentials, "credentials");
      this.channel = null;
      return this;
    }

    /** A channel to the config server, owned by the caller (shared by many watchers, TLS, ...). */
    public Builder channel(Channel channel) {
      this.channel = Objects.requireNonNull(channel, "channel");
      this.target = null;
      return this;
    }

    /**
     * Feeds the trust bundle the server streams ({@code DiscoveryResponse.trust_bundle}) into
     * {@code credentials} ({@link MeshCredentials#updateTrust}) whenever it is non-empty and
     * differs from theirs, so a CA rotation reaches every connection before the new CA signs
     * anything. An update with a malformed bundle is rejected (NACKed) as a whole; the credentials
     * keep their roots. A cached update's bundle is not used: it may be older than theirs.
     */
    public Builder trustBundleTo(MeshCredentials credentials) {
      this.trustTarget = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    public Builder node(NodeIdentity node) {
      this.node = Objects.requireNonNull(node, "node");
      return this;
    }

    /** Applies to {@code mesh}. */
    public Builder mesh(Mesh mesh) {
      this.sink = PolicySink.of(mesh);
      return this;
    }

    public Builder sink(PolicySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** The services this process calls. */
    public Builder subscribe(String... services) {
      subscriptions.addAll(List.of(services));
      return this;
    }

    public Builder subscribe(Iterable<String> services) {
      services.forEach(subscriptions::add);
      return this;
    }

    /** Where the last applied policy is kept; one directory per process. */
    public Builder cacheDirectory(Path dir) {
      this.cacheDirectory = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /**
     * Registers this process as an instance of {@code node.service()} at {@code endpoint} (zone and
     * labels default to the node's).
     */
    public Builder register(EndpointSpec endpoint) {
      this.registration = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /** Reconnect backoff: {@code initial * 1.6^n} up to {@code max}, ±20% jitter (default 1 s, 30 s). */
    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = Objects.requireNonNull(initial, "initial");
      this.backoffMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** The randomness of the backoff jitter; seed it in tests. */
    public Builder random(RandomSource random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Runs reconnect timers (default: one shared daemon thread). */
    public Builder timer(ScheduledExecutorService timer) {
      this.timer = Objects.requireNonNull(timer, "timer");
      return this;
    }

    public Builder listener(WatcherListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public MeshConfigWatcher build() {
      if (target == null && channel == null) {
        throw new IllegalStateException("target or channel: one is required");
      }
      if (node == null) {
        throw new IllegalStateException("node: required (expected: NodeIdentity.of(id, service))");
      }
      if (sink == null) {
        throw new IllegalStateException("mesh or sink: one is required");
      }
      if (registration != null && node.service().isEmpty()) {
        throw new IllegalStateException("register: node.service is empty (expected: the service this process"
            + " serves, which the registered endpoint belongs to)");
      }
      return new MeshConfigWatcher(this);
    }
  }

  @Override
  public String toString() {
    return "MeshConfigWatcher{node=" + node.id() + ", version=" + version + "}";
  }
}
