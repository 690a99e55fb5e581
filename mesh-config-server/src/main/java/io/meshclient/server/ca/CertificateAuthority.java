package io.meshclient.server.ca;

import io.meshclient.server.ca.CertificateRequestException.Reason;
import io.meshclient.server.ca.internal.CaRoot;
import io.meshclient.server.ca.internal.CaState;
import io.meshclient.server.ca.internal.CaStore;
import io.meshclient.server.ca.internal.Leaves;
import io.meshclient.server.ca.internal.Pem;
import io.meshclient.server.ca.internal.Roots;
import io.meshclient.tls.SpiffeId;
import io.meshclient.tls.WorkloadIdentity;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The workload CA: signs workload certificates (X.509 SVIDs, the SPIFFE ID in the URI SAN) and
 * holds the trust bundle, including during a root rotation.
 *
 * <p>Its roots come from a <b>state directory</b> ({@link Builder#stateDirectory}: a root is
 * generated there on first use, ECDSA P-256, key file 0600, directory 0700; rotations are written
 * there, and {@link #reload()} picks up changes made by another process such as {@code
 * meshclient-server ca activate}) or from the operator's <b>PEM files</b> ({@link Builder#files}: read
 * once, never copied; a rotation then lives in memory only, until the server is restarted with the
 * new files).
 *
 * <p>Rotation, with an overlap so no handshake ever fails: {@link #prepareRotation()} adds a new
 * root to the bundle (still signing with the old one), {@link #activateRotation()} signs with the new
 * root (the old stays trusted), {@link #retireRotation()} drops the old root once every certificate
 * it signed has expired. Each step changes the bundle and calls the {@link #onChange} listeners, so
 * the server pushes it to every stream.
 *
 * <p>Thread-safe. Key material never appears in logs or {@code toString()}.
 */
public final class CertificateAuthority {

  private static final System.Logger LOG = System.getLogger(CertificateAuthority.class.getName());
  /** The shortest certificate lifetime issued: shorter requests are raised to it. */
  public static final Duration MIN_TTL = Duration.ofMinutes(1);

  private final @Nullable CaStore store;
  private final String source;
  private final String trustDomain;
  private final Duration defaultTtl;
  private final Duration maxTtl;
  private final Duration minTtl;
  private final Duration backdate;
  private final Duration rootValidity;
  private final Clock clock;
  private final SecureRandom random;
  private final AtomicLong issued = new AtomicLong();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile CaState state;

  private CertificateAuthority(Builder b, @Nullable CaStore store, String source, CaState state) {
    this.store = store;
    this.source = source;
    this.trustDomain = b.trustDomain;
    this.defaultTtl = b.resolvedDefaultTtl();
    this.maxTtl = b.maxTtl;
    this.minTtl = b.minTtl;
    this.backdate = b.backdate;
    this.rootValidity = b.rootValidity;
    this.clock = b.clock;
    this.random = b.random;
    this.state = state;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String trustDomain() {
    return trustDomain;
  }

  /** The state directory, or null when the roots come from the operator's PEM files. */
  public @Nullable Path stateDirectory() {
    return store == null ? null : store.directory();
  }

  /** The roots workloads must trust now, the one that signs first. */
  public List<X509Certificate> trustBundle() {
    return state.bundle();
  }

  /** The root that signs now. */
  public X509Certificate signingCertificate() {
    return state.active().certificate();
  }

  public RotationStage stage() {
    return state.stage();
  }

  /** Certificates issued since this instance was built. */
  public long issuedCount() {
    return issued.get();
  }

  /** Calls {@code listener} after each change of the roots (a rotation step here or in the state directory). */
  public void onChange(Runnable listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Signs a certificate for {@code granted}, the identity the caller's bootstrap token grants.
   *
   * @param csrDer a DER PKCS#10 request; its key must be ECDSA P-256 or RSA of 2048 bits or more, its
   *     URI SAN (if any) must be {@code granted}
   * @param ttlSeconds the lifetime asked for; 0 for the default. Raised to the minimum (default {@link #MIN_TTL}), capped at
   *     the configured maximum and at the CA certificate's own expiry
   */
  public IssuedCertificate issue(byte[] csrDer, SpiffeId granted, long ttlSeconds) throws CertificateRequestException {
    if (ttlSeconds < 0) {
      throw new CertificateRequestException(Reason.INVALID_REQUEST,
          "ttl_seconds: must not be negative, got " + ttlSeconds + " (expected: 0 for the default, or seconds)");
    }
    Leaves.Request request = Leaves.parse(csrDer);
    String wanted = request.uri();
    if (wanted != null && !wanted.equals(granted.toString())) {
      throw new CertificateRequestException(Reason.NOT_PERMITTED,
          "token for " + granted + " cannot obtain " + wanted + " (expected: a CSR whose URI SAN is " + granted
              + ", or none)");
    }
    Duration ttl = ttlSeconds == 0 ? defaultTtl : Duration.ofSeconds(ttlSeconds);
    ttl = ttl.compareTo(minTtl) < 0 ? minTtl : ttl.compareTo(maxTtl) > 0 ? maxTtl : ttl;
    CaState s = state;
    X509Certificate ca = s.active().certificate();
    Instant[] validity = validity(ca, ttl);
    if (!validity[1].isAfter(clock.instant())) {
      throw new CertificateRequestException(Reason.CA_UNAVAILABLE, "the CA certificate "
          + ca.getSubjectX500Principal().getName() + " expired at " + ca.getNotAfter().toInstant()
          + " (expected: an operator to rotate the CA)");
    }
    X509Certificate leaf = Leaves.issue(s.active(), request, granted, List.of(), validity[0], validity[1], random);
    issued.incrementAndGet();
    LOG.log(Level.INFO, "issued " + granted + " serial " + leaf.getSerialNumber().toString(16) + " notAfter "
        + leaf.getNotAfter().toInstant() + " (root " + s.active().id() + ")");
    return new IssuedCertificate(leaf, s.bundle());
  }

  /**
   * A TLS identity for a server of this CA's own (the config server's port): a fresh P-256 key and a
   * certificate for {@code id} whose SAN also lists {@code hostNames} (DNS names or IP literals), so
   * that clients can verify the host they dialled. Valid for {@code ttl} within the root's validity.
   */
  public WorkloadIdentity issueServerIdentity(SpiffeId id, List<String> hostNames, Duration ttl) {
    try {
      java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
      g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"), random);
      java.security.KeyPair keys = g.generateKeyPair();
      CaState s = state;
      Instant[] validity = validity(s.active().certificate(), ttl);
      X509Certificate leaf = Leaves.issue(s.active(),
          new Leaves.Request(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()), null, false),
          id, hostNames, validity[0], validity[1], random);
      LOG.log(Level.INFO, "issued the server certificate " + id + " " + hostNames + " serial "
          + leaf.getSerialNumber().toString(16) + " notAfter " + leaf.getNotAfter().toInstant());
      return new WorkloadIdentity(keys.getPrivate(), List.of(leaf), id);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a P-256 key", e);
    }
  }

  /**
   * {notBefore, notAfter} of a certificate for {@code ttl} from now: backdated for peers whose clocks
   * run a little behind, and never outside the CA certificate's own validity.
   */
  private Instant[] validity(X509Certificate ca, Duration ttl) {
    Instant now = clock.instant();
    Instant caNotBefore = ca.getNotBefore().toInstant();
    Instant caNotAfter = ca.getNotAfter().toInstant();
    Instant notBefore = now.minus(backdate).isBefore(caNotBefore) ? caNotBefore : now.minus(backdate);
    Instant notAfter = now.plus(ttl).isAfter(caNotAfter) ? caNotAfter : now.plus(ttl);
    return new Instant[] {notBefore, notAfter};
  }

  /** Stage 1: generates a new root and adds it to the bundle; the current root still signs. */
  public void prepareRotation() throws CaException {
    prepare(null);
  }

  /** Stage 1 with the operator's new root (checked like the one given at start). */
  public void prepareRotation(X509Certificate certificate, PrivateKey key) throws CaException {
    prepare(Roots.check(certificate, key, "new root " + certificate.getSubjectX500Principal().getName(), clock.instant()));
  }

  /** Stage 1 with the operator's new root from PEM files. */
  public void prepareRotation(Path certificatePem, Path keyPem) throws CaException {
    prepare(Roots.check(Pem.readCertificates(certificatePem).get(0), Pem.readPrivateKey(keyPem),
        certificatePem + " and " + keyPem, clock.instant()));
  }

  private void prepare(@Nullable CaRoot given) throws CaException {
    change("prepare", s -> {
      if (s.stage() != RotationStage.STABLE) {
        throw new CaException("cannot prepare a rotation: one is under way (stage " + s.stage()
            + "; expected: activate and retire it first)");
      }
      CaRoot next = given != null ? given : Roots.generate(trustDomain, rootValidity, clock, random);
      if (next.id().equals(s.active().id())) {
        throw new CaException("cannot prepare a rotation to the root that already signs (" + next + ")");
      }
      return new CaState(s.active(), next, null);
    });
  }

  /** Stage 2: the prepared root signs from now on; the old one stays in the bundle. */
  public void activateRotation() throws CaException {
    change("activate", s -> {
      CaRoot next = s.next();
      if (next == null) {
        throw new CaException("cannot activate: no rotation is prepared (stage " + s.stage()
            + "; expected: stage PREPARED, after 'prepare')");
      }
      return new CaState(next, null, s.active());
    });
  }

  /** Stage 3: drops the old root from the bundle (and its files from the state directory). */
  public void retireRotation() throws CaException {
    change("retire", s -> {
      if (s.previous() == null) {
        throw new CaException("cannot retire: no rotation is activated (stage " + s.stage()
            + "; expected: stage ACTIVATED, after 'activate')");
      }
      return CaState.of(s.active());
    });
  }

  private interface Step {
    CaState apply(CaState current) throws CaException;
  }

  private void change(String name, Step step) throws CaException {
    CaState next;
    if (store == null) {
      synchronized (this) {
        next = step.apply(state);
        state = next;
      }
    } else {
      CaStore st = store;
      // The directory is the truth: start from what it holds now (the CLI may have moved it on).
      // The state is set under the directory's lock, so a concurrent reload never sets an older one.
      next = st.locked(() -> {
        CaState fresh = step.apply(st.load(clock.instant()));
        st.save(fresh);
        synchronized (this) {
          state = fresh;
        }
        return fresh;
      });
    }
    LOG.log(Level.INFO, "CA rotation: " + name + " -> " + next);
    listeners.forEach(Runnable::run);
  }

  /**
   * Re-reads the state directory; returns true (and tells the listeners) if its roots changed. A bad
   * state throws and leaves this CA as it was.
   */
  public boolean reload() throws CaException {
    CaStore st = store;
    if (st == null) {
      return false;
    }
    @Nullable CaState loaded = st.<@Nullable CaState>locked(() -> {
      CaState fresh = st.load(clock.instant());
      synchronized (this) {
        if (fresh.sameAs(state)) {
          return null;
        }
        state = fresh;
      }
      return fresh;
    });
    if (loaded == null) {
      return false;
    }
    LOG.log(Level.INFO, "CA state changed in " + st.directory() + ": " + loaded);
    listeners.forEach(Runnable::run);
    return true;
  }

  /** Public facts for the status page. */
  public CaStatus status() {
    CaState s = state;
    List<CaStatus.Root> roots = s.roots().stream().map(r -> new CaStatus.Root(
        r == s.active() ? "active" : r == s.next() ? "next" : "previous",
        r.certificate().getSubjectX500Principal().getName(), r.certificate().getSerialNumber().toString(16),
        r.certificate().getNotAfter().toInstant(), r.fingerprint())).toList();
    return new CaStatus(trustDomain, source, s.stage(), roots, issued.get());
  }

  @Override
  public String toString() {
    return "CertificateAuthority[" + trustDomain + ", " + source + ", " + state + "]";
  }

  /** Builds a {@link CertificateAuthority} from a state directory, the operator's PEM files, or both. */
  public static final class Builder {
    private @Nullable Path stateDirectory;
    private @Nullable Path certificate;
    private @Nullable Path key;
    private String trustDomain = "meshclient.local";
    private @Nullable Duration defaultTtl;
    private Duration maxTtl = Duration.ofHours(24);
    private Duration minTtl = MIN_TTL;
    private Duration backdate = Duration.ofMinutes(5);
    private Duration rootValidity = Duration.ofDays(3650);
    private Clock clock = Clock.systemUTC();
    private SecureRandom random = new SecureRandom();

    private Builder() {}

    /**
     * Roots kept in {@code dir}; if it holds none, one is generated there (or, with {@link #files},
     * the operator's root is imported).
     */
    public Builder stateDirectory(Path dir) {
      this.stateDirectory = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /**
     * The operator's root: a CA certificate and its unencrypted private key, PEM. Alone: read at
     * every start, never copied. With a {@link #stateDirectory}: imported into it when it is empty.
     */
    public Builder files(Path certificatePem, Path keyPem) {
      this.certificate = Objects.requireNonNull(certificatePem, "certificatePem");
      this.key = Objects.requireNonNull(keyPem, "keyPem");
      return this;
    }

    /** The trust domain of issued SPIFFE IDs (default {@code meshclient.local}). */
    public Builder trustDomain(String trustDomain) {
      // The SPIFFE rules, checked once here.
      SpiffeId.of(trustDomain, "ns", "sa");
      this.trustDomain = trustDomain;
      return this;
    }

    /** The lifetime of a certificate whose request names none (default 24 h, or the maximum if lower). */
    public Builder defaultTtl(Duration ttl) {
      this.defaultTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** The longest lifetime issued, whatever a request asks (default 24 h). */
    public Builder maxTtl(Duration ttl) {
      this.maxTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /**
     * The shortest lifetime issued (default and production floor {@link #MIN_TTL}). Demos and
     * end-to-end tests that show several rotations in seconds may lower it, down to 5 seconds;
     * the CLI never does.
     */
    public Builder minimumTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.compareTo(Duration.ofSeconds(5)) < 0 || ttl.compareTo(MIN_TTL) > 0) {
        throw new IllegalArgumentException("minimumTtl: " + ttl + " is outside [PT5S, " + MIN_TTL
            + "] (expected: a floor between 5 seconds and a minute)");
      }
      this.minTtl = ttl;
      return this;
    }

    /** How far before now a certificate's validity starts, for clock skew (default 5 min). */
    public Builder backdate(Duration backdate) {
      this.backdate = Objects.requireNonNull(backdate, "backdate");
      return this;
    }

    /** The validity of generated roots (default 10 years). */
    public Builder rootValidity(Duration validity) {
      this.rootValidity = Objects.requireNonNull(validity, "validity");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Loads (or, in an empty state directory, generates) the root.
     *
     * @throws CaException naming the file and what was wrong with it
     */
    public CertificateAuthority build() throws CaException {
      check(resolvedDefaultTtl(), "defaultTtl", minTtl);
      check(maxTtl, "maxTtl", minTtl);
      if (resolvedDefaultTtl().compareTo(maxTtl) > 0) {
        throw new IllegalArgumentException("defaultTtl: " + defaultTtl + " is longer than maxTtl " + maxTtl
            + " (expected: defaultTtl <= maxTtl)");
      }
      if (backdate.isNegative()) {
        throw new IllegalArgumentException("backdate: must not be negative, got " + backdate);
      }
      if (stateDirectory == null && certificate == null) {
        throw new IllegalArgumentException("a CA needs a state directory or the operator's PEM files, got neither");
      }
      CaRoot given = null;
      if (certificate != null) {
        Path cert = certificate;
        Path k = Objects.requireNonNull(key);
        given = Roots.check(Pem.readCertificates(cert).get(0), Pem.readPrivateKey(k), cert + " and " + k, clock.instant());
      }
      if (stateDirectory == null) {
        return new CertificateAuthority(this, null, "files " + certificate, CaState.of(Objects.requireNonNull(given)));
      }
      CaStore store = new CaStore(stateDirectory);
      CaRoot seed = given;
      CaState state = store.locked(() -> {
        if (store.exists()) {
          CaState loaded = store.load(clock.instant());
          if (seed != null && loaded.roots().stream().noneMatch(r -> r.id().equals(seed.id()))) {
            throw new CaException(store.directory() + ": already holds a CA (active root " + loaded.active().id()
                + ") and the given files hold another (" + seed.id() + ") (expected: an empty directory to import"
                + " into, or `meshclient-server ca prepare` to rotate to the new root)");
          }
          return loaded;
        }
        CaState fresh = CaState.of(seed != null ? seed : Roots.generate(trustDomain, rootValidity, clock, random));
        store.restrictDirectory(); // a new CA: whoever made the directory, only the server's user may enter
        store.save(fresh);
        LOG.log(Level.INFO, (seed != null ? "imported the CA root into " : "generated a CA root in ")
            + store.directory() + ": " + fresh.active());
        return fresh;
      });
      return new CertificateAuthority(this, store, "state directory " + store.directory(), state);
    }

    private Duration resolvedDefaultTtl() {
      Duration day = Duration.ofHours(24);
      return defaultTtl != null ? defaultTtl : maxTtl.compareTo(day) < 0 ? maxTtl : day;
    }

    private static void check(Duration d, String name, Duration min) {
      if (d.compareTo(min) < 0) {
        throw new IllegalArgumentException(name + ": " + d + " is shorter than the minimum " + min
            + " (expected: at least " + min + ", e.g. 1h)");
      }
    }
  }
}
