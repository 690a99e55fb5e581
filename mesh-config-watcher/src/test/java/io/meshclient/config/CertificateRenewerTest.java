package io.meshclient.config;

import static io.meshclient.config.TestConfigServer.fail;
import static io.meshclient.config.TestConfigServer.issue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.meshclient.RandomSource;
import io.meshclient.config.TestConfigServer.Received;
import io.meshclient.config.internal.ReconnectBackoff;
import io.meshclient.config.v1.CertificateResponse;
import io.meshclient.policy.TlsMode;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.SpiffeId;
import io.meshclient.tls.WorkloadIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The workload's certificate client against a real gRPC server (Netty, loopback) whose CA really
 * signs the CSRs. Time is a {@link FakeClock} that is both the renewer's clock and its timer, so
 * hour-long certificates are renewed without waiting.
 */
class CertificateRenewerTest {

  static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";
  static final String INVENTORY = "spiffe://example.org/ns/shop/sa/inventory";
  static final String INTRUDER = "spiffe://example.org/ns/shop/sa/intruder";

  /** Jitter at its midpoint (none): renewal exactly at half-life, backoff exactly initial * 1.6^n. */
  static final RandomSource MIDPOINT = fixedRandom(0.5);

  static TestCa ca;
  static TestCa otherCa;

  FakeClock clock;
  TestConfigServer server;
  ManagedChannel channel;
  final Events events = new Events();

  static RandomSource fixedRandom(double u) {
    return new RandomSource() {
      @Override
      public int nextInt(int bound) {
        return (int) Math.min(bound - 1, (long) (bound * u));
      }

      @Override
      public long nextLong(long bound) {
        return Math.min(bound - 1, (long) (bound * u));
      }
    };
  }

  static final class Events implements CertificateListener {
    final List<WorkloadIdentity> issued = new CopyOnWriteArrayList<>();
    final List<Instant> renewAt = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<Duration> retries = new CopyOnWriteArrayList<>();
    final List<List<X509Certificate>> bundles = new CopyOnWriteArrayList<>();
    final List<String> expired = new CopyOnWriteArrayList<>();

    @Override
    public void onIssued(WorkloadIdentity identity, Instant at) {
      issued.add(identity);
      renewAt.add(at);
    }

    @Override
    public void onFailed(String reason, Duration retryIn) {
      failures.add(reason);
      retries.add(retryIn);
    }

    @Override
    public void onTrustBundleChanged(List<X509Certificate> roots) {
      bundles.add(roots);
    }

    @Override
    public void onExpired(WorkloadIdentity identity, String lastFailure) {
      expired.add(identity.id() + " after: " + lastFailure);
    }
  }

  @BeforeAll
  static void cas() throws Exception {
    ca = new TestCa("mesh-root");
    otherCa = new TestCa("some-other-root");
  }

  @BeforeEach
  void startServer() throws Exception {
    clock = new FakeClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    server = new TestConfigServer(ca, clock::now).start();
    server.tokens.put("tok-orders", ORDERS);
    channel = Grpc.newChannelBuilder(server.target(), InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void stopServer() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
  }

  private CertificateRenewer.Builder renewer() {
    return CertificateRenewer.builder().channel(channel).bearerToken(() -> "tok-orders")
        .clock(clock.clock()).timer(clock).random(MIDPOINT)
        .backoff(Duration.ofSeconds(1), Duration.ofSeconds(10)).listener(events);
  }

  /** Half-way from when the certificate was issued (the test server backdates notBefore). */
  private static Instant halfLife(X509Certificate leaf) {
    Instant nb = issuedAt(leaf);
    return nb.plus(Duration.between(nb, leaf.getNotAfter().toInstant()).dividedBy(2));
  }

  private static Instant issuedAt(X509Certificate leaf) {
    return leaf.getNotBefore().toInstant().plus(TestConfigServer.BACKDATE);
  }

  private static byte[] unsignedBytes(BigInteger n) {
    byte[] b = n.toByteArray();
    return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * A real TLS 1.3 connection between {@code client} and a server presenting {@code serverSide}'s
   * identity, each side STRICT about the other's SPIFFE ID; returns the client certificate the
   * server saw.
   */
  static X509Certificate handshake(MeshCredentials client, String clientId, MeshCredentials serverSide,
      String serverId) throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (SSLServerSocket listening = (SSLServerSocket) serverSide
        .sslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(clientId)))
        .getServerSocketFactory().createServerSocket(0, 1, loopback)) {
      listening.setNeedClientAuth(true);
      CompletableFuture<X509Certificate> seen = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) listening.accept()) {
          int b = s.getInputStream().read();
          s.getOutputStream().write(b + 1);
          s.getOutputStream().flush();
          return (X509Certificate) s.getSession().getPeerCertificates()[0];
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      try (SSLSocket c = (SSLSocket) client
          .sslContext(PeerPolicy.fixed("inventory", TlsMode.STRICT, List.of(serverId)))
          .getSocketFactory().createSocket(loopback, listening.getLocalPort())) {
        OutputStream out = c.getOutputStream();
        out.write(41);
        out.flush();
        InputStream in = c.getInputStream();
        assertThat(in.read()).isEqualTo(42);
        assertThat(((X509Certificate) c.getSession().getPeerCertificates()[0]).getSubjectAlternativeNames())
            .anySatisfy(san -> assertThat(san.get(1)).isEqualTo(serverId));
      } catch (IOException e) {
        try {
          seen.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException failure) {
          e.addSuppressed(failure.getCause());
        }
        throw e;
      }
      return seen.get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void firstCertificateIsForAKeyMadeHereAndServesARealMutualTlsHandshake() throws Exception {
    try (CertificateRenewer r = renewer().build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      WorkloadIdentity id = creds.identity();
      assertThat(id).isNotNull();
      assertThat(id.id()).isEqualTo(SpiffeId.parse(ORDERS));
      assertThat(creds.trustRoots()).containsExactly(ca.certificate);
      assertThat(r.credentials()).isSameAs(creds);

      List<Received> received = server.received();
      assertThat(received).hasSize(1);
      Received csr = received.get(0);
      assertThat(csr.authorization()).isEqualTo("Bearer tok-orders");
      assertThat(csr.requestedId()).as("no ID asked for: the server issues the token's").isNull();
      assertThat(csr.key().getEncoded()).isEqualTo(id.leaf().getPublicKey().getEncoded());
      byte[] request = csr.request().toByteArray();
      assertThat(contains(request, unsignedBytes(((ECPrivateKey) id.key()).getS())))
          .as("the private scalar is nowhere in the request").isFalse();
      assertThat(contains(request, id.key().getEncoded())).isFalse();

      MeshCredentials inventory = MeshCredentials.create(ca.issue(INVENTORY), List.of(ca.certificate), m -> {});
      X509Certificate seenByServer = handshake(creds, ORDERS, inventory, INVENTORY);
      assertThat(seenByServer).isEqualTo(id.leaf());
    }
  }

  @Test
  void theRequestedIdAndLifetimeGoIntoTheRequest() throws Exception {
    try (CertificateRenewer r = renewer().spiffeId(SpiffeId.parse(ORDERS)).ttl(Duration.ofMinutes(10)).build()) {
      WorkloadIdentity id = r.start(Duration.ofSeconds(20)).identity();
      Received csr = server.received().get(0);
      assertThat(csr.requestedId()).isEqualTo(ORDERS);
      assertThat(csr.request().getTtlSeconds()).isEqualTo(600);
      assertThat(Duration.between(id.leaf().getNotBefore().toInstant(), id.leaf().getNotAfter().toInstant()))
          .isEqualTo(Duration.ofMinutes(10).plus(TestConfigServer.BACKDATE));
    }
  }

  @Test
  void askingForAnIdTheTokenDoesNotGrantFailsAtOnceNamingBoth() throws Exception {
    try (CertificateRenewer r = renewer().spiffeId(SpiffeId.parse(INTRUDER)).build()) {
      assertThatThrownBy(() -> r.start(Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(WorkloadCertificateException.class,
              e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED))
          .hasMessageContaining("PERMISSION_DENIED: the token grants " + ORDERS + ", not " + INTRUDER)
          .hasMessageContaining("the token does not grant the requested " + INTRUDER);
      assertThat(server.received()).hasSize(1);
    }
  }

  @Test
  void aWrongTokenFailsStartAtOnceWithTheServersStatusAndMessage() throws Exception {
    try (CertificateRenewer r = renewer().bearerToken(() -> "not-a-token").build()) {
      assertThatThrownBy(() -> r.start(Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(WorkloadCertificateException.class,
              e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED))
          .hasMessage("no workload certificate from config server " + server.target()
              + ": UNAUTHENTICATED: unknown bootstrap token (check the bootstrap token)");
      assertThat(server.received()).as("no retry: a wrong token is not transient").hasSize(1);
      assertThat(r.credentials()).isNull();
      assertThat(clock.pending()).isEmpty();
    }
  }

  @Test
  void theTokenFileIsReadAtEachRequestSoARotatedTokenIsUsed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("token");
    Files.writeString(file, "tok-orders\n");
    server.tokens.put("tok-orders-2", ORDERS);
    try (CertificateRenewer r = renewer().bearerTokenFile(file).build()) {
      r.start(Duration.ofSeconds(20));
      Files.writeString(file, "tok-orders-2\n");
      clock.runNext();
      await().atMost(Duration.ofSeconds(20)).until(() -> events.issued.size() == 2);
      assertThat(server.received()).extracting(Received::authorization)
          .containsExactly("Bearer tok-orders", "Bearer tok-orders-2");
    }
  }

  @Test
  void anUnreadableTokenFileIsNamedInTheError(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("no-such-token");
    try (CertificateRenewer r = renewer().bearerTokenFile(missing).build()) {
      assertThatThrownBy(() -> r.start(Duration.ofSeconds(20)))
          .isInstanceOf(WorkloadCertificateException.class)
          .hasMessageContaining("UNAUTHENTICATED: bootstrap token file " + missing + ": cannot read it")
          .hasMessageContaining("NoSuchFileException")
          .hasMessageEndingWith("(check the bootstrap token file " + missing + ")");
      assertThat(server.received()).as("nothing was sent without a token").isEmpty();
    }
  }

  @Test
  void renewsAtHalfLifeThreeTimesEachWithANewKeyAndSerial() throws Exception {
    try (CertificateRenewer r = renewer().build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      Set<BigInteger> serials = new HashSet<>();
      Set<PublicKey> keys = new HashSet<>();
      serials.add(creds.identity().leaf().getSerialNumber());
      keys.add(creds.identity().leaf().getPublicKey());
      for (int i = 1; i <= 3; i++) {
        X509Certificate leaf = creds.identity().leaf();
        Instant half = halfLife(leaf);
        Duration untilRenewal = Duration.between(clock.now(), half);
        assertThat(events.renewAt.get(i - 1)).isEqualTo(half);
        assertThat(clock.pending()).as("the renewal, then the expiry watch")
            .containsExactly(untilRenewal, Duration.between(clock.now(), leaf.getNotAfter().toInstant()));

        clock.forward(untilRenewal.minusNanos(1));
        assertThat(clock.pending()).first().isEqualTo(Duration.ofNanos(1));
        assertThat(events.issued).hasSize(i);
        clock.forward(Duration.ofNanos(1));
        int issued = i + 1;
        await().atMost(Duration.ofSeconds(20)).until(() -> events.issued.size() == issued);

        WorkloadIdentity now = creds.identity();
        assertThat(now).isSameAs(events.issued.get(i));
        assertThat(now.id()).isEqualTo(SpiffeId.parse(ORDERS));
        assertThat(now.leaf().getNotBefore().toInstant()).isEqualTo(half.minus(TestConfigServer.BACKDATE));
        serials.add(now.leaf().getSerialNumber());
        keys.add(now.leaf().getPublicKey());
      }
      assertThat(serials).hasSize(4);
      assertThat(keys).hasSize(4);
      assertThat(server.received()).hasSize(4);
      for (WorkloadIdentity id : events.issued) {
        byte[] secret = unsignedBytes(((ECPrivateKey) id.key()).getS());
        assertThat(server.received()).noneMatch(rq -> contains(rq.request().toByteArray(), secret));
      }
      assertThat(events.failures).isEmpty();
      assertThat(events.bundles).as("the bundle did not change").isEmpty();
    }
  }

  @Test
  void aBackdatedShortCertificateIsRenewedHalfWayThroughWhatIsLeftNotAtOnce() throws Exception {
    // One minute asked, backdated by one (as the test server does): counted from notBefore, half
    // its lifetime would already be over on arrival, and the renewer would spin.
    try (CertificateRenewer r = renewer().ttl(Duration.ofMinutes(1)).build()) {
      Instant received = clock.now();
      r.start(Duration.ofSeconds(20));
      assertThat(events.renewAt.get(0)).isEqualTo(received.plusSeconds(30));
      assertThat(server.received()).hasSize(1);
    }
  }

  @ParameterizedTest(name = "u = {0}: renewal at {1} of the lifetime")
  @CsvSource({"0.0, 0.45", "0.5, 0.50", "1.0, 0.55"})
  void renewalJitterStaysWithinFivePercentOfTheLifetime(double u, double fraction) throws Exception {
    try (CertificateRenewer r = renewer().random(fixedRandom(u)).build()) {
      X509Certificate leaf = r.start(Duration.ofSeconds(20)).identity().leaf();
      long issued = issuedAt(leaf).toEpochMilli();
      long lifetime = leaf.getNotAfter().getTime() - issued;
      long renewAfter = events.renewAt.get(0).toEpochMilli() - issued;
      assertThat((double) renewAfter).isCloseTo(lifetime * fraction, within(2.0));
      assertThat(clock.pending().get(0)).isEqualTo(Duration.between(clock.now(), events.renewAt.get(0)));
    }
  }

  @Test
  void whileTheCaIsUnavailableRenewalRetriesWithBackoffAndKeepsTheOldIdentity() throws Exception {
    try (CertificateRenewer r = renewer().build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      WorkloadIdentity old = creds.identity();
      MeshCredentials inventory = MeshCredentials.create(ca.issue(INVENTORY), List.of(ca.certificate), m -> {});
      Status down = Status.UNAVAILABLE.withDescription("CA is restarting");
      server.enqueue(fail(down), fail(down), fail(down));

      clock.runNext(); // the renewal
      ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), MIDPOINT);
      for (int k = 0; k < 3; k++) {
        int failures = k + 1;
        await().atMost(Duration.ofSeconds(20)).until(() -> events.failures.size() == failures);
        assertThat(events.failures.get(k)).isEqualTo("UNAVAILABLE: CA is restarting");
        assertThat(creds.identity()).isSameAs(old);
        assertThat(handshake(creds, ORDERS, inventory, INVENTORY)).as("the old identity still works").isEqualTo(old.leaf());
        Duration retry = clock.pending().get(0);
        assertThat(retry).isEqualTo(events.retries.get(k)).isEqualTo(Duration.ofNanos(backoff.delayNanos(k)));
        clock.forward(retry);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> events.issued.size() == 2);
      assertThat(events.retries).containsExactly(Duration.ofSeconds(1), Duration.ofMillis(1600), Duration.ofMillis(2560));
      assertThat(creds.identity()).isNotSameAs(old);
      assertThat(server.received()).hasSize(5);
    }
  }

  enum BadAnswer {
    WRONG_ID("is for " + INTRUDER + " (expected " + ORDERS + ")"),
    NOT_CHAINED_TO_THE_BUNDLE("the chain does not verify against the trust bundle [CN=mesh-root]"),
    ANOTHER_KEY("is for another public key than the one in the request"),
    ALREADY_EXPIRED("expired at"),
    SPIFFE_ID_FIELD_DISAGREES("spiffe_id says " + INTRUDER + " but serial"),
    NOT_A_CERTIFICATE("certificate_chain[0]: not a DER X.509 certificate"),
    NO_BUNDLE("trust_bundle: empty");

    final String reason;

    BadAnswer(String reason) {
      this.reason = reason;
    }

    TestConfigServer.Answer answer(Instant now) throws Exception {
      Instant nb = now.minusSeconds(60);
      Instant na = now.plus(Duration.ofHours(1));
      List<X509Certificate> bundle = List.of(ca.certificate);
      switch (this) {
        case WRONG_ID:
          return issue(ca, bundle, null, INTRUDER, nb, na);
        case NOT_CHAINED_TO_THE_BUNDLE:
          return issue(otherCa, bundle, null, null, nb, na);
        case ANOTHER_KEY:
          PublicKey stranger = TestCa.ecKeys().getPublic();
          return issue(ca, bundle, stranger, null, nb, na);
        case ALREADY_EXPIRED:
          return issue(ca, bundle, null, null, now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)));
        case SPIFFE_ID_FIELD_DISAGREES:
          return (call, granted, out) -> {
            X509Certificate cert = TestConfigServer.sign(ca, call.key(), granted, nb, na);
            out.onNext(TestConfigServer.response(List.of(cert), bundle, INTRUDER));
            out.onCompleted();
          };
        case NOT_A_CERTIFICATE:
          return (call, granted, out) -> {
            out.onNext(CertificateResponse.newBuilder().addCertificateChain(ByteString.copyFromUtf8("not DER"))
                .addTrustBundle(ByteString.copyFrom(ca.certificate.getEncoded())).setSpiffeId(granted).build());
            out.onCompleted();
          };
        case NO_BUNDLE:
          return (call, granted, out) -> {
            X509Certificate cert = TestConfigServer.sign(ca, call.key(), granted, nb, na);
            out.onNext(TestConfigServer.response(List.of(cert), List.of(), granted));
            out.onCompleted();
          };
        default:
          throw new AssertionError(this);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(BadAnswer.class)
  void anUnusableCertificateIsRefusedAndTheOldIdentityKept(BadAnswer bad) throws Exception {
    try (CertificateRenewer r = renewer().build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      WorkloadIdentity old = creds.identity();
      clock.forward(Duration.between(clock.now(), halfLife(old.leaf())).minusSeconds(1));
      server.enqueue(bad.answer(clock.now()));
      clock.runNext();

      await().atMost(Duration.ofSeconds(20)).until(() -> events.failures.size() == 1);
      assertThat(events.failures.get(0)).startsWith("refused the issued certificate: ").contains(bad.reason);
      assertThat(creds.identity()).isSameAs(old);
      assertThat(creds.trustRoots()).containsExactly(ca.certificate);

      assertThat(clock.runNext()).isEqualTo(Duration.ofSeconds(1));
      await().atMost(Duration.ofSeconds(20)).until(() -> events.issued.size() == 2);
      assertThat(creds.identity()).isNotSameAs(old);
      assertThat(creds.identity().id()).isEqualTo(SpiffeId.parse(ORDERS));
    }
  }

  @Test
  void aChainEndingWithTheRootItselfIsAccepted() throws Exception {
    server.enqueue((call, granted, out) -> {
      X509Certificate leaf = TestConfigServer.sign(ca, call.key(), granted, clock.now().minusSeconds(60),
          clock.now().plus(Duration.ofHours(1)));
      out.onNext(TestConfigServer.response(List.of(leaf, ca.certificate), List.of(ca.certificate), granted));
      out.onCompleted();
    });
    try (CertificateRenewer r = renewer().build()) {
      WorkloadIdentity id = r.start(Duration.ofSeconds(20)).identity();
      assertThat(id.chain()).hasSize(2);
      assertThat(events.failures).isEmpty();
    }
  }

  @Test
  void aRefusedFirstAnswerIsRetriedWithinStart() throws Exception {
    server.enqueue(BadAnswer.NOT_CHAINED_TO_THE_BUNDLE.answer(clock.now()));
    try (CertificateRenewer r = renewer().build()) {
      CompletableFuture<MeshCredentials> started = CompletableFuture.supplyAsync(() -> {
        try {
          return r.start(Duration.ofSeconds(20));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(Duration.ofSeconds(20)).until(() -> events.failures.size() == 1);
      assertThat(started).isNotDone();
      clock.runNext();
      MeshCredentials creds = started.get(20, TimeUnit.SECONDS);
      assertThat(creds.identity().leaf().getIssuerX500Principal()).isEqualTo(ca.certificate.getSubjectX500Principal());
    }
  }

  @Test
  void startRetriesTransientFailuresOnTheDefaultTimer() throws Exception {
    server.enqueue(fail(Status.UNAVAILABLE.withDescription("warming up")), fail(Status.INTERNAL));
    try (CertificateRenewer r = CertificateRenewer.builder().channel(channel).bearerToken(() -> "tok-orders")
        .backoff(Duration.ofMillis(5), Duration.ofMillis(20)).listener(events).build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      assertThat(creds.identity().id()).isEqualTo(SpiffeId.parse(ORDERS));
      assertThat(events.failures).containsExactly("UNAVAILABLE: warming up", "INTERNAL");
    }
  }

  @Test
  void startGivesUpAtItsTimeoutSayingWhatItWaitedFor() throws Exception {
    server.enqueue(TestConfigServer.silence());
    try (CertificateRenewer r = renewer().build()) {
      assertThatThrownBy(() -> r.start(Duration.ofMillis(200)))
          .isInstanceOf(WorkloadCertificateException.class)
          .hasMessage("no workload certificate from config server " + server.target()
              + " within PT0.2S: no answer yet");
      assertThat(clock.pending()).as("closed: nothing scheduled").isEmpty();
    }
  }

  @Test
  void anExpiredCertificateIsReportedLoudlyAndRenewalGoesOn() throws Exception {
    try (CertificateRenewer r = renewer().ttl(Duration.ofMinutes(2)).build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      WorkloadIdentity old = creds.identity();
      Instant notAfter = old.leaf().getNotAfter().toInstant();
      server.outage = Status.UNAVAILABLE.withDescription("CA down");

      clock.runNext(); // the renewal
      List<Instant> attempts = new ArrayList<>();
      attempts.add(clock.now());
      while (true) {
        int failures = attempts.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> events.failures.size() == failures);
        Duration next = clock.pending().get(0);
        if (!clock.now().plus(next).isBefore(notAfter)) {
          break;
        }
        clock.forward(next);
        attempts.add(clock.now());
      }
      assertThat(attempts).hasSizeGreaterThan(5);
      assertThat(events.expired).isEmpty();
      assertThat(creds.identity()).isSameAs(old);

      clock.forward(Duration.between(clock.now(), notAfter));
      assertThat(events.expired).containsExactly(ORDERS + " after: UNAVAILABLE: CA down");
      assertThat(clock.pending()).as("still retrying").hasSize(1);

      server.outage = null;
      clock.runNext();
      await().atMost(Duration.ofSeconds(20)).until(() -> events.issued.size() == 2);
      assertThat(creds.identity().leaf().getNotAfter().toInstant()).isAfter(clock.now());
      assertThat(events.expired).hasSize(1);
    }
  }

  @Test
  void aChangedBundleIsTrustedBeforeTheNewCertificateIsUsed() throws Exception {
    try (CertificateRenewer r = renewer().build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      List<X509Certificate> rotating = List.of(ca.certificate, otherCa.certificate);
      List<List<X509Certificate>> rootsWhenUpdated = new CopyOnWriteArrayList<>();
      creds.onIdentityUpdated(id -> rootsWhenUpdated.add(creds.trustRoots()));
      Instant now = clock.now();
      server.enqueue(issue(otherCa, rotating, null, null, now, now.plus(Duration.ofHours(1))));
      clock.runNext();
      await().atMost(Duration.ofSeconds(20)).until(() -> events.issued.size() == 2);
      assertThat(events.bundles).containsExactly(rotating);
      assertThat(creds.trustRoots()).isEqualTo(rotating);
      assertThat(rootsWhenUpdated).containsExactly(rotating);
      assertThat(creds.identity().leaf().getIssuerX500Principal()).isEqualTo(otherCa.certificate.getSubjectX500Principal());
    }
  }

  @Test
  void closeStopsRenewing() throws Exception {
    CertificateRenewer r = renewer().build();
    MeshCredentials creds = r.start(Duration.ofSeconds(20));
    WorkloadIdentity id = creds.identity();
    assertThat(clock.pending()).hasSize(2);
    r.close();
    await().atMost(Duration.ofSeconds(20)).until(() -> clock.pending().isEmpty());
    clock.forward(Duration.ofHours(2));
    assertThat(server.received()).hasSize(1);
    assertThat(creds.identity()).isSameAs(id);
    assertThat(events.expired).isEmpty();
  }

  @Test
  void buildNamesWhatIsMissing() {
    assertThatThrownBy(() -> CertificateRenewer.builder().bearerToken(() -> "t").build())
        .hasMessageContaining("target or channel");
    assertThatThrownBy(() -> CertificateRenewer.builder().channel(channel).build())
        .hasMessageContaining("bearerToken or bearerTokenFile");
    assertThatThrownBy(() -> CertificateRenewer.builder().channel(channel).bearerToken(() -> "t")
        .ttl(Duration.ofMillis(500)).build())
        .hasMessage("ttl: PT0.5S (expected at least 1 second)");
  }
}
