package io.meshclient.config;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.meshclient.RandomSource;
import io.meshclient.config.internal.BearerToken;
import io.meshclient.config.internal.Certificates;
import io.meshclient.config.internal.Csr;
import io.meshclient.config.internal.ReconnectBackoff;
import io.meshclient.config.internal.SharedTimer;
import io.meshclient.config.v1.CertificateRequest;
import io.meshclient.config.v1.CertificateResponse;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.SpiffeId;
import io.meshclient.tls.WorkloadIdentity;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Obtains this workload's X.509 SVID from the config server's CA and keeps it fresh (DESIGN.md
 * §5).
 *
 * <pre>{@code
 * CertificateRenewer renewer = CertificateRenewer.builder()
 *     .target("config:7443", ConfigChannels.tls(Path.of("/etc/meshclient/config-server-ca.pem")))
 *     .bearerTokenFile(Path.of("/var/run/meshclient/token"))
 *     .build();
 * MeshCredentials credentials = renewer.start(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>For every certificate it makes a new EC P-256 key pair in this process, sends only a PKCS#10
 * request signed with it ({@code SignCertificate}, authenticated by {@code authorization: Bearer
 * <token>}), and checks the answer before using it: the chain must verify against the returned
 * trust bundle, be for this key, name the expected SPIFFE ID and not have expired. An answer that
 * fails a check is refused like a failed call.
 *
 * <p>{@link #start} returns {@link MeshCredentials} holding the first certificate and the bundle.
 * Each certificate is renewed at half its lifetime (±5% jitter, so that a fleet does not renew in
 * lock step), by {@link MeshCredentials#update} and, when the bundle changed, {@link
 * MeshCredentials#updateTrust}: live connections keep working, new handshakes use the new
 * certificate. A failed renewal is retried with exponential backoff and jitter while the current
 * certificate stays in use; if it expires first, that is logged as an error and reported ({@link
 * CertificateListener#onExpired}), and attempts go on.
 *
 * <p>The SPIFFE ID never changes during the life of a renewer: it is the {@linkplain
 * Builder#spiffeId requested} one, or else the one the first certificate names.
 *
 * <p>Thread-safety: all state changes run one at a time in a {@link SynchronizationContext}.
 */
public final class CertificateRenewer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(CertificateRenewer.class.getName());
  /** Errors that retrying will not fix before a human does: {@link #start} fails on them at once. */
  private static final Set<Status.Code> FATAL_AT_START =
      EnumSet.of(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED, Status.Code.INVALID_ARGUMENT);
  /** Renewal at {@code 0.5 ± JITTER} of the lifetime. */
  static final double JITTER = 0.05;

  private final Channel channel;
  private final @Nullable ManagedChannel ownedChannel;
  private final String server;
  private final BearerToken token;
  private final @Nullable SpiffeId requestedId;
  private final long ttlSeconds;
  private final Duration requestTimeout;
  private final ReconnectBackoff backoff;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final RandomSource random;
  private final CertificateListener listener;
  private final Consumer<String> peerReporter;
  private final SynchronizationContext sync;
  private final AtomicBoolean started = new AtomicBoolean();
  private final CompletableFuture<MeshCredentials> first = new CompletableFuture<>();

  // Guarded by sync.
  private @Nullable ClientCall<CertificateRequest, CertificateResponse> call;
  private SynchronizationContext.@Nullable ScheduledHandle next;
  private SynchronizationContext.@Nullable ScheduledHandle expiry;
  private @Nullable SpiffeId expectedId;
  private int failures;
  // Set first thing in close(), so that no attempt starts after close() returns.
  private volatile boolean closed;
  // Written in sync, read by start() and credentials().
  private volatile @Nullable MeshCredentials credentials;
  private volatile @Nullable String lastFailure;
  private volatile @Nullable Status lastStatus;

  private CertificateRenewer(Builder b) {
    if (b.channel != null) {
      this.channel = b.channel;
      this.ownedChannel = null;
      this.server = b.channel.authority();
    } else {
      ManagedChannel c = ConfigChannels.open(Objects.requireNonNull(b.target), Objects.requireNonNull(b.channelCredentials),
          "meshclient-certificates");
      this.channel = c;
      this.ownedChannel = c;
      this.server = b.target;
    }
    this.token = new BearerToken(Objects.requireNonNull(b.token), b.tokenSource);
    this.requestedId = b.spiffeId;
    this.expectedId = b.spiffeId;
    this.ttlSeconds = b.ttl == null ? 0 : b.ttl.toSeconds();
    this.requestTimeout = b.requestTimeout;
    this.backoff = new ReconnectBackoff(b.backoffInitial, b.backoffMax, b.random);
    this.clock = b.clock;
    this.timer = b.timer == null ? SharedTimer.get() : b.timer;
    this.random = b.random;
    this.listener = b.listener;
    this.peerReporter = b.peerReporter;
    this.sync = new SynchronizationContext(
        (t, e) -> LOG.log(Level.ERROR, "meshclient certificate renewer: unexpected error", e));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Obtains the first certificate, waiting at most {@code timeout}, and returns credentials that
   * this renewer keeps up to date from then on. Transient failures (server unreachable, refused
   * answers) are retried within the timeout; UNAUTHENTICATED, PERMISSION_DENIED and
   * INVALID_ARGUMENT fail at once. On failure the renewer is closed.
   *
   * @throws WorkloadCertificateException naming the server and why: its status and message, or
   *     why its answer was refused, or that it did not answer in time
   * @throws IllegalStateException when called twice
   */
  public MeshCredentials start(Duration timeout) throws WorkloadCertificateException, InterruptedException {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("start: already called");
    }
    sync.execute(this::attempt);
    try {
      return first.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      close();
      throw (WorkloadCertificateException) e.getCause();
    } catch (TimeoutException e) {
      close();
      String last = lastFailure;
      throw new WorkloadCertificateException("no workload certificate from config server " + server + " within "
          + timeout + ": " + (last == null ? "no answer yet" : "the last attempt failed: " + last),
          lastStatus, null);
    } catch (InterruptedException e) {
      close();
      throw e;
    }
  }

  /** The credentials kept up to date, or null before {@link #start} succeeded. */
  public @Nullable MeshCredentials credentials() {
    return credentials;
  }

  /**
   * Stops renewing: no request starts after this returns, and one in flight is cancelled. The
   * credentials keep their last identity. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    sync.execute(() -> {
      cancelTimers();
      if (call != null) {
        call.cancel("certificate renewer closed", null);
        call = null;
      }
      first.completeExceptionally(new WorkloadCertificateException(
          "certificate renewer closed before the first certificate arrived", null, null));
    });
    if (ownedChannel != null) {
      ConfigChannels.shutdown(ownedChannel);
    }
  }

  private void attempt() {
    next = null;
    if (closed) {
      return;
    }
    KeyPair keys = Csr.newKeyPair();
    CertificateRequest request = CertificateRequest.newBuilder()
        .setCsr(ByteString.copyFrom(Csr.create(keys, requestedId)))
        .setTtlSeconds(ttlSeconds)
        .build();
    ClientCall<CertificateRequest, CertificateResponse> c = channel.newCall(
        MeshDiscoveryServiceGrpc.getSignCertificateMethod(),
        CallOptions.DEFAULT.withCallCredentials(token)
            .withDeadlineAfter(requestTimeout.toNanos(), TimeUnit.NANOSECONDS));
    call = c;
    ClientCalls.asyncUnaryCall(c, request, new StreamObserver<CertificateResponse>() {
      @Override
      public void onNext(CertificateResponse response) {
        sync.execute(() -> onResponse(c, keys, response));
      }

      @Override
      public void onError(Throwable t) {
        sync.execute(() -> onCallFailed(c, Status.fromThrowable(t)));
      }

      @Override
      public void onCompleted() {}
    });
  }

  private void onCallFailed(ClientCall<?, ?> c, Status status) {
    if (c != call || closed) {
      return;
    }
    call = null;
    failed(describe(status), status);
  }

  private void onResponse(ClientCall<?, ?> c, KeyPair keys, CertificateResponse response) {
    if (c != call || closed) {
      return;
    }
    call = null;
    List<X509Certificate> bundle;
    WorkloadIdentity identity;
    try {
      bundle = Certificates.parseDer(response.getTrustBundleList(), "trust_bundle");
      if (bundle.isEmpty()) {
        throw new CertificateException("trust_bundle: empty (expected the CA certificates to trust)");
      }
      List<X509Certificate> chain = Certificates.parseDer(response.getCertificateChainList(), "certificate_chain");
      identity = check(keys, chain, bundle, response.getSpiffeId());
    } catch (CertificateException | IllegalArgumentException e) {
      failed("refused the issued certificate: " + e.getMessage(), null);
      return;
    }
    install(identity, bundle);
  }

  /** The checks an issued certificate must pass before it is used. */
  private WorkloadIdentity check(KeyPair keys, List<X509Certificate> chain, List<X509Certificate> bundle,
      String responseId) throws CertificateException {
    if (chain.isEmpty()) {
      throw new CertificateException("certificate_chain: empty (expected the workload certificate first)");
    }
    X509Certificate leaf = chain.get(0);
    String serial = "serial " + leaf.getSerialNumber().toString(16);
    if (!Arrays.equals(leaf.getPublicKey().getEncoded(), keys.getPublic().getEncoded())) {
      throw new CertificateException(serial + " is for another public key than the one in the request");
    }
    Instant now = clock.instant();
    Instant notBefore = leaf.getNotBefore().toInstant();
    Instant notAfter = leaf.getNotAfter().toInstant();
    if (!now.isBefore(notAfter)) {
      throw new CertificateException(serial + " expired at " + notAfter + " (now " + now + ")");
    }
    SpiffeId id = SpiffeId.fromCertificate(leaf);
    if (id == null) {
      throw new CertificateException(serial + " has no spiffe:// URI SAN (expected an X.509 SVID)");
    }
    if (expectedId != null && !expectedId.equals(id)) {
      throw new CertificateException(serial + " is for " + id + " (expected " + expectedId + ")");
    }
    if (!responseId.isEmpty() && !responseId.equals(id.toString())) {
      throw new CertificateException("spiffe_id says " + responseId + " but " + serial + " is for " + id);
    }
    // A CA whose clock runs a little ahead issues certificates valid from its "now": accept them.
    Certificates.verifyChain(chain, bundle, now.isBefore(notBefore) ? notBefore : now);
    return new WorkloadIdentity(keys.getPrivate(), chain, id);
  }

  private void install(WorkloadIdentity identity, List<X509Certificate> bundle) {
    failures = 0;
    lastFailure = null;
    lastStatus = null;
    expectedId = identity.id();
    MeshCredentials creds = credentials;
    if (creds == null) {
      creds = MeshCredentials.create(identity, bundle, peerReporter);
      credentials = creds;
    } else {
      if (!bundle.equals(creds.trustRoots())) {
        // The new roots first: the new certificate may already be signed by a new CA.
        creds.updateTrust(bundle);
        LOG.log(Level.INFO, () -> "meshclient: trust bundle is now " + Certificates.subjects(bundle));
        listener.onTrustBundleChanged(bundle);
      }
      creds.update(identity);
    }
    Instant now = clock.instant();
    Instant renewAt = renewalTime(identity.leaf(), now);
    cancelTimers();
    next = sync.schedule(this::attempt, nanosUntil(now, renewAt), TimeUnit.NANOSECONDS, timer);
    Instant notAfter = identity.leaf().getNotAfter().toInstant();
    expiry = sync.schedule(() -> onExpiry(identity), nanosUntil(now, notAfter), TimeUnit.NANOSECONDS, timer);
    LOG.log(Level.INFO, () -> "meshclient: workload certificate " + identity.id() + " serial "
        + identity.leaf().getSerialNumber().toString(16) + " valid until " + notAfter + ", renewing at " + renewAt);
    listener.onIssued(identity, renewAt);
    first.complete(creds);
  }

  /**
   * Half-way through the lifetime, ±{@link #JITTER} of it. The lifetime counts from when the
   * certificate arrived if it is backdated (CAs backdate for clock skew, by minutes for some): a
   * one-minute certificate backdated by five would otherwise be renewed at once, again and again.
   */
  private Instant renewalTime(X509Certificate leaf, Instant received) {
    long notBefore = Math.max(leaf.getNotBefore().getTime(), received.toEpochMilli());
    long lifetime = leaf.getNotAfter().getTime() - notBefore;
    double u = random.nextLong(1L << 53) / (double) (1L << 53);
    return Instant.ofEpochMilli(notBefore + (long) (lifetime * (0.5 + JITTER * (2 * u - 1))));
  }

  private void failed(String reason, @Nullable Status status) {
    lastFailure = reason;
    lastStatus = status;
    MeshCredentials creds = credentials;
    if (creds == null && status != null && FATAL_AT_START.contains(status.getCode())) {
      first.completeExceptionally(new WorkloadCertificateException(
          "no workload certificate from config server " + server + ": " + reason + hint(status.getCode()),
          status, status.getCause()));
      return;
    }
    long delay = backoff.delayNanos(failures++);
    WorkloadIdentity current = creds == null ? null : creds.identity();
    LOG.log(Level.WARNING, () -> "meshclient: workload certificate "
        + (current == null ? "not obtained" : "not renewed") + " from " + server + ": " + reason
        + "; retrying in " + Duration.ofNanos(delay)
        + (current == null ? "" : "; " + current.id() + " valid until " + current.leaf().getNotAfter().toInstant()));
    next = sync.schedule(this::attempt, delay, TimeUnit.NANOSECONDS, timer);
    listener.onFailed(reason, Duration.ofNanos(delay));
  }

  private void onExpiry(WorkloadIdentity identity) {
    expiry = null;
    MeshCredentials creds = credentials;
    if (closed || creds == null || creds.identity() != identity) {
      return;
    }
    String last = lastFailure == null ? "the renewal request is still unanswered" : lastFailure;
    LOG.log(Level.ERROR, "meshclient: workload certificate " + identity.id() + " serial "
        + identity.leaf().getSerialNumber().toString(16) + " EXPIRED at " + identity.leaf().getNotAfter().toInstant()
        + " without a renewal: peers will refuse it until one succeeds (still retrying; last failure: " + last + ")");
    listener.onExpired(identity, last);
  }

  private void cancelTimers() {
    if (next != null) {
      next.cancel();
      next = null;
    }
    if (expiry != null) {
      expiry.cancel();
      expiry = null;
    }
  }

  private static long nanosUntil(Instant now, Instant then) {
    return Math.max(0, Duration.between(now, then).toNanos());
  }

  /** {@code CODE: description (root cause)}, on one line. */
  private static String describe(Status status) {
    StringBuilder s = new StringBuilder(status.getCode().name());
    String description = status.getDescription();
    if (description != null) {
      int eol = description.indexOf('\n'); // Netty appends its pipeline on further lines
      s.append(": ").append(eol < 0 ? description : description.substring(0, eol));
    }
    boolean tls = false;
    Throwable root = status.getCause();
    while (root != null && root.getCause() != null && root.getCause() != root) {
      tls |= root instanceof SSLException;
      root = root.getCause();
    }
    if (root != null) {
      tls |= root instanceof SSLException;
      s.append(" (").append(root).append(')');
    }
    if (tls) {
      s.append(" (the TLS handshake with the config server failed: does its certificate chain to the roots"
          + " given to ConfigChannels.tls, and name the target's host?)");
    }
    return s.toString();
  }

  private String hint(Status.Code code) {
    switch (code) {
      case UNAUTHENTICATED:
        return " (check the " + token.source() + ")";
      case PERMISSION_DENIED:
        return requestedId == null ? "" : " (the token does not grant the requested " + requestedId + ")";
      default:
        return "";
    }
  }

  /** Builds a {@link CertificateRenewer}. */
  public static final class Builder {
    private @Nullable String target;
    private @Nullable ChannelCredentials channelCredentials;
    private @Nullable Channel channel;
    private @Nullable Supplier<String> token;
    private String tokenSource = "bootstrap token";
    private @Nullable SpiffeId spiffeId;
    private @Nullable Duration ttl;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration backoffInitial = Duration.ofSeconds(1);
    private Duration backoffMax = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private @Nullable ScheduledExecutorService timer;
    private RandomSource random = RandomSource.threadLocal();
    private CertificateListener listener = CertificateListener.NONE;
    private Consumer<String> peerReporter =
        message -> LOG.log(Level.WARNING, "meshclient: PERMISSIVE mTLS let through " + message);

    private Builder() {}

    /**
     * The config server, {@code host:port} or any gRPC target, reached with {@code credentials}
     * ({@link ConfigChannels#tls(Path)}; {@code InsecureChannelCredentials} on loopback only);
     * the renewer owns the channel.
     */
    public Builder target(String target, ChannelCredentials credentials) {
      this.target = Objects.requireNonNull(target, "target");
      this.channelCredentials = Objects.requireNonNull(credentials, "credentials");
      this.channel = null;
      return this;
    }

    /** A channel to the config server, owned by the caller (for instance shared with the watcher). */
    public Builder channel(Channel channel) {
      this.channel = Objects.requireNonNull(channel, "channel");
      this.target = null;
      return this;
    }

    /** The bootstrap token, asked for at every request (so it may change). */
    public Builder bearerToken(Supplier<String> token) {
      this.token = Objects.requireNonNull(token, "token");
      this.tokenSource = "bootstrap token";
      return this;
    }

    /** The bootstrap token, read from {@code file} at every request (so a rotated file is used). */
    public Builder bearerTokenFile(Path file) {
      Objects.requireNonNull(file, "file");
      this.tokenSource = "bootstrap token file " + file;
      this.token = () -> {
        try {
          return Files.readString(file);
        } catch (IOException e) {
          throw new IllegalStateException("cannot read it (" + e + ")", e);
        }
      };
      return this;
    }

    /**
     * The SPIFFE ID to ask for (the URI SAN of the request). Without it the server issues the one
     * the token grants.
     */
    public Builder spiffeId(SpiffeId id) {
      this.spiffeId = Objects.requireNonNull(id, "id");
      return this;
    }

    /** The certificate lifetime to ask for, whole seconds; the server may cap it. Default: the server's. */
    public Builder ttl(Duration ttl) {
      this.ttl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** The deadline of each request (default 10 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Retry backoff: {@code initial * 1.6^n} up to {@code max}, ±20% jitter (default 1 s, 30 s). */
    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = Objects.requireNonNull(initial, "initial");
      this.backoffMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** The clock that certificate lifetimes are measured by (default: the system's, UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Runs the renewal and retry timers (default: one shared daemon thread). */
    public Builder timer(ScheduledExecutorService timer) {
      this.timer = Objects.requireNonNull(timer, "timer");
      return this;
    }

    /** The randomness of the renewal and backoff jitter; seed it in tests. */
    public Builder random(RandomSource random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public Builder listener(CertificateListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Hears about peers that PERMISSIVE mode let through although their identity is not allowed
     * (see {@link MeshCredentials#create}); default: a warning in the log.
     */
    public Builder peerReporter(Consumer<String> reporter) {
      this.peerReporter = Objects.requireNonNull(reporter, "reporter");
      return this;
    }

    public CertificateRenewer build() {
      if (target == null && channel == null) {
        throw new IllegalStateException("target or channel: one is required (expected the config server)");
      }
      if (token == null) {
        throw new IllegalStateException("bearerToken or bearerTokenFile: one is required (expected the bootstrap"
            + " token that authenticates this workload to the config server's CA)");
      }
      if (ttl != null && ttl.toSeconds() < 1) {
        throw new IllegalStateException("ttl: " + ttl + " (expected at least 1 second)");
      }
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalStateException("requestTimeout: " + requestTimeout + " (expected a positive duration)");
      }
      if (backoffInitial.isNegative() || backoffInitial.isZero() || backoffMax.compareTo(backoffInitial) < 0) {
        throw new IllegalStateException("backoff: " + backoffInitial + ", " + backoffMax
            + " (expected initial > 0 and max >= initial)");
      }
      return new CertificateRenewer(this);
    }
  }

  @Override
  public String toString() {
    MeshCredentials creds = credentials;
    WorkloadIdentity id = creds == null ? null : creds.identity();
    return "CertificateRenewer{server=" + server + ", identity=" + (id == null ? "none" : id.id()) + "}";
  }
}
