package io.meshclient.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.WorkloadIdentity;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Mutual TLS between a mesh channel and real Netty servers on loopback, with real certificates
 * from a test CA and real handshakes.
 */
class MutualTlsTest {

  private static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";
  private static final String WEB = "spiffe://example.org/ns/shop/sa/web";
  private static final String IMPOSTOR = "spiffe://example.org/ns/shop/sa/impostor";

  /**
   * Server connections live about a second (grpc's minimum maxConnectionAge), so clients re-connect
   * and rotated certificates are used soon.
   */
  private static final Consumer<io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder>
      SHORT_LIVED =
          b -> b.maxConnectionAge(1, TimeUnit.SECONDS).maxConnectionAgeGrace(5, TimeUnit.SECONDS);

  @RegisterExtension final GrpcResources grpc = new GrpcResources();

  private final Mesh mesh = Mesh.builder().random(RandomSource.seeded(11)).build();

  /** What the credentials' reporters heard (PERMISSIVE acceptances). */
  private final List<String> reports = Collections.synchronizedList(new ArrayList<>());

  private final TestCa ca;
  private final MeshCredentials client;
  private final MeshCredentials server;

  MutualTlsTest() throws Exception {
    ca = new TestCa("mesh-ca");
    client = MeshCredentials.create(ca.issue(WEB), List.of(ca.certificate), reports::add);
    server = MeshCredentials.create(ca.issue(ORDERS), List.of(ca.certificate), reports::add);
  }

  private static SimpleRequest req(String text) {
    return SimpleRequest.newBuilder().setRequestMessage(text).build();
  }

  /** A STRICT mTLS server that lets in the web workload, with the caller interceptor. */
  private Backend tlsBackend(String name, MeshCredentials credentials) {
    return tlsBackend(name, credentials, b -> {});
  }

  private Backend tlsBackend(
      String name,
      MeshCredentials credentials,
      Consumer<io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder> options,
      ServerInterceptor... more) {
    ServerInterceptor[] all = new ServerInterceptor[more.length + 1];
    System.arraycopy(more, 0, all, 0, more.length);
    all[more.length] = MeshGrpcServer.callerInterceptor(); // runs first
    return grpc.backend(
        name,
        MeshGrpcServer.credentials(
            credentials, PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(WEB))),
        options,
        all);
  }

  private MeshCredentials serverWith(WorkloadIdentity identity) {
    return MeshCredentials.create(identity, List.of(ca.certificate), reports::add);
  }

  private void apply(TlsMode mode, Backend... backends) {
    ServicePolicy.Builder b =
        ServicePolicy.builder("orders")
            .tls(mode)
            .identities(List.of(ORDERS))
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .outlierDetection(OutlierDetectionPolicy.builder().maxEjectionPercent(0).build());
    for (Backend be : backends) {
      b.endpoint(be.spec());
    }
    mesh.update(MeshPolicy.builder().version("v" + System.nanoTime()).service(b.build()).build());
  }

  private ManagedChannel channel() {
    return grpc.register(MeshGrpc.builder(mesh, "orders").credentials(client).build());
  }

  private static SimpleServiceGrpc.SimpleServiceBlockingStub stub(ManagedChannel channel) {
    return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static Status failure(ManagedChannel channel) {
    try {
      stub(channel).unaryRpc(req("x"));
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    throw new AssertionError("the call succeeded");
  }

  @Test
  void strictCallsArriveWithTheClientsIdentity() {
    Backend orders = tlsBackend("orders", server);
    apply(TlsMode.STRICT, orders);
    ManagedChannel channel = channel();
    for (int i = 0; i < 5; i++) {
      assertThat(stub(channel).unaryRpc(req("hi")).getResponseMessage()).isEqualTo("orders:hi");
    }
    assertThat(orders.callers).containsExactly(WEB);
    assertThat(reports).isEmpty();
  }

  @Test
  void strictRefusesAPlaintextServer() {
    Backend plain = grpc.backend("plain");
    apply(TlsMode.STRICT, plain);
    Status s = failure(channel());
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription())
        .contains(
            "TLS handshake with endpoint "
                + plain.address()
                + " of service 'orders' failed: the endpoint does not speak TLS (a plaintext"
                + " server?)");
    assertThat(plain.received.get()).isZero();
  }

  @Test
  void strictRefusesAServerPresentingAnotherIdentity() throws Exception {
    Backend impostor = tlsBackend("impostor", serverWith(ca.issue(IMPOSTOR)));
    apply(TlsMode.STRICT, impostor);
    Status s = failure(channel());
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription())
        .contains(
            "TLS handshake with endpoint " + impostor.address() + " of service 'orders' failed")
        .contains("orders: the server presented " + IMPOSTOR + ", expected one of [" + ORDERS + "]");
    assertThat(impostor.received.get()).isZero();
  }

  @Test
  void strictRefusesAnExpiredServerCertificate() throws Exception {
    Instant now = Instant.now();
    Backend expired =
        tlsBackend(
            "expired",
            serverWith(ca.issue(ORDERS, now.minus(Duration.ofHours(2)), now.minusSeconds(3600))));
    apply(TlsMode.STRICT, expired);
    Status s = failure(channel());
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription()).contains("orders: the server's certificate").contains("expired");
  }

  @Test
  void strictRefusesAServerFromAnUntrustedCa() throws Exception {
    TestCa rogue = new TestCa("rogue-ca");
    Backend untrusted =
        tlsBackend(
            "untrusted",
            MeshCredentials.create(rogue.issue(ORDERS), List.of(rogue.certificate), reports::add));
    apply(TlsMode.STRICT, untrusted);
    Status s = failure(channel());
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription())
        .contains("orders: the server's certificate")
        .contains("is not trusted")
        .contains("CN=mesh-ca");
  }

  @Test
  void permissiveAcceptsAnUnknownIdentityAndReportsIt() throws Exception {
    Backend impostor = tlsBackend("impostor", serverWith(ca.issue(IMPOSTOR)));
    apply(TlsMode.PERMISSIVE, impostor);
    assertThat(stub(channel()).unaryRpc(req("p")).getResponseMessage()).isEqualTo("impostor:p");
    assertThat(reports)
        .containsExactly(
            "PERMISSIVE: accepted although not allowed: orders: the server presented "
                + IMPOSTOR
                + ", expected one of ["
                + ORDERS
                + "]");
    assertThat(impostor.callers).containsExactly(WEB);
  }

  @Test
  void aPermissiveServerLetsInAClientWithoutACertificateAsNoCaller() {
    Backend orders =
        grpc.backend(
            "orders",
            MeshGrpcServer.credentials(
                server, PeerPolicy.fixed("inbound", TlsMode.PERMISSIVE, List.of(WEB))),
            b -> {},
            MeshGrpcServer.callerInterceptor());
    apply(TlsMode.PERMISSIVE, orders);
    // A workload whose first certificate has not arrived yet: it still checks the server.
    MeshCredentials noIdentity = MeshCredentials.create(null, List.of(ca.certificate), reports::add);
    ManagedChannel channel =
        grpc.register(MeshGrpc.builder(mesh, "orders").credentials(noIdentity).build());
    assertThat(stub(channel).unaryRpc(req("anon")).getResponseMessage()).isEqualTo("orders:anon");
    assertThat(orders.callers).containsExactly("none");
    assertThat(reports).isEmpty();
  }

  @Test
  void misconfigurationsAreRefusedWithWhatWouldBeRight() {
    assertThatThrownBy(
            () ->
                MeshGrpcServer.credentials(
                    server, PeerPolicy.fixed("inbound", TlsMode.DISABLE, List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "inbound: tls DISABLE (expected: PERMISSIVE or STRICT for mesh server credentials; a"
                + " plaintext server takes InsecureServerCredentials.create())");
    MeshCredentials empty = MeshCredentials.create(null, List.of(ca.certificate), reports::add);
    assertThatThrownBy(
            () ->
                MeshGrpcServer.credentials(
                    empty, PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("inbound: the credentials hold no identity yet");
    assertThatThrownBy(
            () ->
                MeshGrpc.builder(mesh, "orders")
                    .credentials(client)
                    .transport(io.grpc.inprocess.InProcessChannelBuilder::forTarget)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("credentials(MeshCredentials) with a custom transport(..)");
  }

  @Test
  void theChannelsStateIsThatOfTheRealChannelThePolicyUsesNow() throws Exception {
    Backend plain = grpc.backend("plain");
    Backend secure = tlsBackend("secure", server);
    apply(TlsMode.DISABLE, plain);
    ManagedChannel channel = channel();
    assertThat(channel.getState(false)).isEqualTo(ConnectivityState.IDLE); // nothing built yet
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> channel.getState(true) == ConnectivityState.READY);
    apply(TlsMode.STRICT, secure);
    assertThat(channel.getState(false)).isEqualTo(ConnectivityState.IDLE); // mTLS not built yet
    CountDownLatch changed = new CountDownLatch(1);
    channel.notifyWhenStateChanged(ConnectivityState.IDLE, changed::countDown);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> channel.getState(true) == ConnectivityState.READY);
    assertThat(changed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(secure.received.get()).isZero(); // a connection, no call

    // A channel without credentials cannot serve STRICT: its watchers hear of the shutdown.
    ManagedChannel plaintextOnly = MeshGrpc.channel(mesh, "orders");
    assertThat(plaintextOnly.getState(true)).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    CountDownLatch shut = new CountDownLatch(1);
    plaintextOnly.notifyWhenStateChanged(ConnectivityState.TRANSIENT_FAILURE, shut::countDown);
    assertThat(shut.getCount()).isOne();
    plaintextOnly.shutdown();
    assertThat(shut.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(plaintextOnly.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void strictWithoutMeshCredentialsFailsNamingWhatToConfigure() {
    Backend orders = tlsBackend("orders", server);
    apply(TlsMode.STRICT, orders);
    ManagedChannel channel = grpc.register(MeshGrpc.channel(mesh, "orders"));
    Status s = failure(channel);
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription())
        .isEqualTo(
            "meshclient: service 'orders' requires mutual TLS (tls: STRICT) but this channel has"
                + " no mesh identity (expected: MeshGrpc.builder(mesh, \"orders\")"
                + ".credentials(MeshCredentials), or tls: DISABLE/PERMISSIVE in the policy)");
    assertThat(channel.getState(false)).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    assertThat(mesh.service("orders").stats().inFlight()).isZero();
    assertThat(orders.received.get()).isZero();
  }

  @Test
  void aServerRefusesAClientIdentityItsInboundPolicyDoesNotAllow() throws Exception {
    Backend orders = tlsBackend("orders", server);
    apply(TlsMode.STRICT, orders);
    MeshCredentials stranger =
        MeshCredentials.create(ca.issue(IMPOSTOR), List.of(ca.certificate), reports::add);
    ManagedChannel channel =
        grpc.register(MeshGrpc.builder(mesh, "orders").credentials(stranger).build());
    Status s = failure(channel);
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription())
        .contains(
            "TLS handshake with endpoint " + orders.address() + " of service 'orders' failed: the"
                + " peer refused the handshake")
        .contains("it may not trust or allow this workload's certificate");
    assertThat(orders.received.get()).isZero();
  }

  @Test
  void aPolicyChangeReachesTheNextConnectionDespiteSessionResumption() {
    Backend orders = tlsBackend("orders", server);
    apply(TlsMode.STRICT, orders);
    ManagedChannel channel = channel();
    assertThat(stub(channel).unaryRpc(req("before")).getResponseMessage())
        .isEqualTo("orders:before");
    // Only another identity may serve orders now. The open connection was checked already; a new
    // one must be checked again, not resume the session the old policy approved.
    mesh.update(
        MeshPolicy.builder()
            .version("v2")
            .service(
                ServicePolicy.builder("orders")
                    .tls(TlsMode.STRICT)
                    .identities(List.of(IMPOSTOR))
                    .endpoint(orders.spec())
                    .build())
            .build());
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              channel.enterIdle(); // drop the connection: the next call makes a new one
              assertThat(failure(channel).getDescription())
                  .contains(
                      "orders: the server presented " + ORDERS + ", expected one of [" + IMPOSTOR
                          + "]");
            });
  }

  @Test
  void aHandshakeFailureOnOneEndpointIsRetriedOnAnother() throws Exception {
    Backend impostor = tlsBackend("impostor", serverWith(ca.issue(IMPOSTOR)));
    Backend orders = tlsBackend("orders", server);
    apply(TlsMode.STRICT, impostor, orders);
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    for (int i = 0; i < 20; i++) {
      assertThat(stub.unaryRpc(req("r")).getResponseMessage()).isEqualTo("orders:r");
    }
    assertThat(impostor.received.get()).isZero();
    // Round robin sent about half the calls to the impostor first: each was retried elsewhere.
    assertThat(mesh.service("orders").stats().retries()).isPositive();
  }

  @Test
  void liveFlipsBetweenPlaintextAndStrictFailNoCall() throws Exception {
    Backend plain = grpc.backend("plain");
    Backend secure = tlsBackend("secure", server);
    apply(TlsMode.DISABLE, plain);
    ManagedChannel channel = channel();
    List<StatusRuntimeException> failures;
    try (Traffic traffic = new Traffic(channel, 4)) {
      traffic.awaitCalls(100);
      // The migration: the policy moves the service to its TLS endpoint and STRICT at once.
      apply(TlsMode.STRICT, secure);
      await().atMost(Duration.ofSeconds(20)).until(() -> secure.served.get() > 100);
      int plainBefore = plain.served.get();
      apply(TlsMode.DISABLE, plain);
      await().atMost(Duration.ofSeconds(20)).until(() -> plain.served.get() > plainBefore + 100);
      failures = traffic.stop();
    }
    assertThat(failures).isEmpty();
    assertThat(secure.callers).containsExactly(WEB);
    assertThat(plain.callers).containsExactly("none");

    // One channel's lifecycle covers both real channels.
    channel.shutdown();
    assertThat(channel.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(channel.isTerminated()).isTrue();
    assertThat(channel.getState(false)).isEqualTo(ConnectivityState.SHUTDOWN);
    Status after = failure(channel);
    assertThat(after.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(after.getDescription()).contains("'orders' is shut down");
  }

  /** Records the serial of each client certificate the server sees. */
  private static ServerInterceptor serials(Set<BigInteger> seen) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        try {
          if (session != null) {
            seen.add(((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber());
          }
        } catch (SSLPeerUnverifiedException e) {
          throw new AssertionError("a STRICT server let in a client without a certificate", e);
        }
        return next.startCall(call, headers);
      }
    };
  }

  @Test
  void identitiesRotateUnderContinuousTrafficWithoutAFailedCall() throws Exception {
    Set<BigInteger> serials = ConcurrentHashMap.newKeySet();
    Backend a = tlsBackend("a", server, SHORT_LIVED, serials(serials));
    Backend b = tlsBackend("b", server, SHORT_LIVED, serials(serials));
    apply(TlsMode.STRICT, a, b);
    ManagedChannel channel = channel();
    List<BigInteger> issued = new ArrayList<>();
    List<StatusRuntimeException> failures;
    try (Traffic traffic = new Traffic(channel, 4)) {
      traffic.awaitCalls(50);
      for (int rotation = 0; rotation < 3; rotation++) {
        WorkloadIdentity next = ca.issue(WEB);
        BigInteger serial = next.leaf().getSerialNumber();
        issued.add(serial);
        client.update(next);
        server.update(ca.issue(ORDERS));
        // The servers see the new client certificate once connections are re-made.
        await().atMost(Duration.ofSeconds(30)).until(() -> serials.contains(serial));
        traffic.awaitCalls(50);
      }
      failures = traffic.stop();
    }
    assertThat(failures).isEmpty();
    assertThat(serials).containsAll(issued).hasSizeGreaterThanOrEqualTo(4);
  }

  @Test
  void aCaRotationWithOverlapFailsNoCall() throws Exception {
    TestCa next = new TestCa("mesh-ca-2");
    Set<BigInteger> serials = ConcurrentHashMap.newKeySet();
    Backend a = tlsBackend("a", server, SHORT_LIVED, serials(serials));
    apply(TlsMode.STRICT, a);
    ManagedChannel channel = channel();
    List<StatusRuntimeException> failures;
    try (Traffic traffic = new Traffic(channel, 4)) {
      traffic.awaitCalls(50);
      // 1. Both sides trust old and new roots.
      List<X509Certificate> both = List.of(ca.certificate, next.certificate);
      client.updateTrust(both);
      server.updateTrust(both);
      traffic.awaitCalls(50);
      // 2. Both move to certificates from the new CA (in either order: each trusts both).
      WorkloadIdentity newClient = next.issue(WEB);
      client.update(newClient);
      server.update(next.issue(ORDERS));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> serials.contains(newClient.leaf().getSerialNumber()));
      // 3. The old root is dropped; connections re-made from now on trust only the new one, as
      //    the next client certificate reaching the server shows.
      client.updateTrust(List.of(next.certificate));
      server.updateTrust(List.of(next.certificate));
      WorkloadIdentity last = next.issue(WEB);
      client.update(last);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> serials.contains(last.leaf().getSerialNumber()));
      traffic.awaitCalls(50);
      failures = traffic.stop();
    }
    assertThat(failures).isEmpty();
  }
}
