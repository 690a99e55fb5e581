package io.meshclient.server;

import static io.meshclient.server.CaServerFixture.ORDERS;
import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.meshclient.config.ConfigChannels;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.Node;
import io.meshclient.config.v1.Registration;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.server.Fixture.RecordingSink;
import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.ca.IssuedCertificate;
import io.meshclient.server.cli.MainTest;
import io.meshclient.server.status.StatusHttpServer;
import io.meshclient.server.status.StatusTable;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.SpiffeId;
import io.meshclient.tls.WorkloadIdentity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code requireIdentity}: real gRPC over Netty on loopback, a real CA, real mutual-TLS handshakes
 * with certificates it issued (and one from a foreign CA).
 */
class ConfigStreamIdentityTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;
  private CertificateAuthority ca;
  private ConfigServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), CaServerFixture.tokens("2099-01-01T00:00:00Z"));
    ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca")).build();
    server = Fixture.server(policies).certificateAuthority(ca).tokens(tokens)
        .tls(List.of("localhost", "127.0.0.1")).requireIdentity(true).build().start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel ch : channels) {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    server.close();
  }

  private ManagedChannel channel(ChannelCredentials credentials) {
    ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), credentials).build();
    channels.add(ch);
    return ch;
  }

  /** The bootstrap: SignCertificate over server-only TLS, authenticated by the token alone. */
  private MeshCredentials bootstrap(String token, String spiffeId) throws Exception {
    ManagedChannel tls = channel(ConfigChannels.tls(ConfigChannels.readPem(tmp.resolve("ca/bundle.pem"))));
    WorkloadIdentity identity = CaServerFixture.identity(tls, token, spiffeId);
    return MeshCredentials.create(identity, ca.trustBundle(), msg -> {});
  }

  private static DiscoveryRequest registering(String nodeId, String service) {
    return DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId(nodeId).setService(service))
        .addResourceNames("orders").setRegistration(Registration.newBuilder().setAddress("127.0.0.1:9001")).build();
  }

  private static Status endOf(CaServerFixture.Stream stream) throws Exception {
    Throwable t = stream.end.get(20, TimeUnit.SECONDS);
    assertThat(t).isInstanceOf(StatusRuntimeException.class);
    return ((StatusRuntimeException) t).getStatus();
  }

  @Test
  void aWatcherWithAnIssuedCertificateStreamsAndRegistersItsOwnServiceAndTheStatusShowsWho() throws Exception {
    MeshCredentials credentials = bootstrap("orders-token", ORDERS);
    RecordingSink sink = new RecordingSink();
    try (MeshConfigWatcher watcher = MeshConfigWatcher.builder()
        .target("127.0.0.1:" + server.port(), ConfigChannels.mtls(credentials::trustRoots, credentials))
        .node(NodeIdentity.of("orders-1", "orders")).subscribe("orders").sink(sink)
        .register(EndpointSpec.of("127.0.0.1:9001")).trustBundleTo(credentials)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(300)).build().start()) {
      await().atMost(WAIT).until(() -> sink.timeoutOf("orders").equals(Duration.ofSeconds(2)));
      await().atMost(WAIT).until(() -> sink.endpoints.getOrDefault("orders", List.of()).size() == 1);
      assertThat(sink.endpoints.get("orders").get(0).address()).isEqualTo("127.0.0.1:9001");
      assertThat(watcher.connected()).isTrue();
      assertThat(server.status().getRegistry(0).getNodeId()).isEqualTo("orders-1");

      String peer = server.status().getNodes(0).getPeer();
      assertThat(server.nodeIdentities()).containsExactly(java.util.Map.entry(peer, ORDERS));
      String json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.statusPort() + "/status")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(StatusHttpServer.identitiesFromJson(json)).containsExactly(java.util.Map.entry(peer, ORDERS));
      // The protobuf part reads as before, and the document round-trips exactly.
      assertThat(StatusHttpServer.fromJson(json).getNodesList()).singleElement()
          .satisfies(n -> assertThat(n.getId()).isEqualTo("orders-1"), n -> assertThat(n.getPeer()).isEqualTo(peer));
      assertThat(StatusHttpServer.toJson(StatusHttpServer.fromJson(json), StatusHttpServer.identitiesFromJson(json),
          StatusHttpServer.caFromJson(json))).isEqualTo(json);
      assertThat(json).doesNotContain("PRIVATE KEY").doesNotContain("orders-token");
      String table = StatusTable.text(StatusHttpServer.fromJson(json), StatusHttpServer.identitiesFromJson(json), null);
      assertThat(table.lines().filter(l -> l.startsWith("NODE") || l.startsWith("orders-1")))
          .satisfiesExactly(h -> assertThat(h).contains("IDENTITY"), r -> assertThat(r).contains(ORDERS));
    }
  }

  @Test
  void aStreamWithoutACertificateIsUnauthenticatedButSignCertificateStillWorks() throws Exception {
    ManagedChannel tls = channel(ConfigChannels.tls(ca::trustBundle));
    Status status = endOf(new CaServerFixture.Stream(tls, registering("orders-1", "orders")));
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).isEqualTo("this config server requires a workload certificate on the config"
        + " stream, and the connection presented none (expected: a client certificate for"
        + " spiffe://meshclient.local/ns/<namespace>/sa/<service> issued by its CA, e.g. ConfigChannels.mtls(roots,"
        + " credentials) with the credentials of a CertificateRenewer)");
    assertThat(server.status().getRegistryCount()).isZero();

    // The same connection, no certificate: the bootstrap token is enough for SignCertificate.
    assertThat(CaServerFixture.sign(tls, "orders-token", csr(p256(), ORDERS), 0).getSpiffeId()).isEqualTo(ORDERS);
    assertThat(CaServerFixture.sign(tls, "payments-token", csr(p256(), null), 0).getSpiffeId())
        .isEqualTo(CaServerFixture.PAYMENTS);
  }

  @Test
  void registeringAnotherServiceThanTheCertificateNamesIsPermissionDenied() throws Exception {
    MeshCredentials orders = bootstrap("orders-token", ORDERS);
    ManagedChannel mtls = channel(ConfigChannels.mtls(orders::trustRoots, orders));
    Status status = endOf(new CaServerFixture.Stream(mtls, registering("payments-1", "payments")));
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).isEqualTo("registration of service 'payments' refused: the client"
        + " certificate is spiffe://meshclient.local/ns/shop/sa/orders (expected:"
        + " spiffe://meshclient.local/ns/<namespace>/sa/payments, the identity of a workload of that service)");
    assertThat(server.status().getRegistryCount()).isZero();

    // Subscribing without registering is any authenticated workload's right, whatever node.service says.
    CaServerFixture.Stream web = new CaServerFixture.Stream(mtls, "web-1");
    await().atMost(WAIT).until(() -> !web.responses.isEmpty());
    assertThat(web.last().getResources(0).getName()).isEqualTo("orders");
    web.requests.onCompleted();
  }

  @Test
  void aServiceWhosePolicyNamesTheIdentityMayBeRegisteredByIt() throws Exception {
    // One workload, two service names (its HTTP and its gRPC side): the policy of the second names
    // the identity that serves it, the same list its clients check under mTLS.
    Fixture.write(tmp.resolve("policies"), "orders-grpc.yaml",
        "service: orders-grpc\ntimeout: 2s\nidentities: [\"" + ORDERS + "\"]\n");
    await().atMost(WAIT).until(() -> server.status().getServicesList().contains("orders-grpc"));
    MeshCredentials orders = bootstrap("orders-token", ORDERS);
    ManagedChannel mtls = channel(ConfigChannels.mtls(orders::trustRoots, orders));
    CaServerFixture.Stream stream = new CaServerFixture.Stream(mtls, registering("orders-1", "orders-grpc"));
    await().atMost(WAIT).until(() -> server.status().getRegistryCount() == 1);
    assertThat(server.status().getRegistry(0).getService()).isEqualTo("orders-grpc");
    stream.requests.onCompleted();

    // Not payments, whose policy names nobody: the refusal says what would do.
    Fixture.write(tmp.resolve("policies"), "orders-grpc.yaml",
        "service: orders-grpc\ntimeout: 2s\nidentities: [\"" + CaServerFixture.PAYMENTS + "\"]\n");
    await().atMost(WAIT).until(() -> server.snapshot().policies.get("orders-grpc").getIdentitiesList()
        .contains(CaServerFixture.PAYMENTS));
    Status status = endOf(new CaServerFixture.Stream(mtls, registering("orders-2", "orders-grpc")));
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).endsWith(", the identity of a workload of that service, or one of its"
        + " policy's identities [" + CaServerFixture.PAYMENTS + "])");
  }

  @Test
  void theCasOwnCertificateForAnotherTrustDomainMayNotRegister() throws Exception {
    KeyPair keys = p256();
    IssuedCertificate foreignDomain = ca.issue(csr(keys, null), SpiffeId.of("other.example", "shop", "orders"), 0);
    MeshCredentials creds = MeshCredentials.create(
        WorkloadIdentity.of(keys.getPrivate(), List.of(foreignDomain.certificate())), ca.trustBundle(), msg -> {});
    Status status = endOf(new CaServerFixture.Stream(channel(ConfigChannels.mtls(creds::trustRoots, creds)),
        registering("orders-1", "orders")));
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).contains("the client certificate is spiffe://other.example/ns/shop/sa/orders"
        + " (expected: spiffe://meshclient.local/ns/<namespace>/sa/orders");
  }

  @Test
  void aCertificateFromAForeignCaIsRefusedInTheHandshake() throws Exception {
    CertificateAuthority foreign = CertificateAuthority.builder().stateDirectory(tmp.resolve("foreign")).build();
    KeyPair keys = p256();
    IssuedCertificate issued = foreign.issue(csr(keys, ORDERS), SpiffeId.parse(ORDERS), 0);
    // Same trust domain, same SPIFFE ID, the server's own roots trusted by the client: only the issuer differs.
    MeshCredentials creds = MeshCredentials.create(
        WorkloadIdentity.of(keys.getPrivate(), List.of(issued.certificate())), ca.trustBundle(), msg -> {});
    Status status = endOf(new CaServerFixture.Stream(channel(ConfigChannels.mtls(creds::trustRoots, creds)),
        registering("orders-1", "orders")));
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(server.status().getNodesCount()).isZero();
    assertThat(server.status().getRegistryCount()).isZero();
  }

  @Test
  void theClientCertificateCheckFollowsRootRotation() throws Exception {
    MeshCredentials old = bootstrap("orders-token", ORDERS);
    ca.prepareRotation();
    ca.activateRotation();
    // Issued by the new root, which was not in the bundle when the server started.
    MeshCredentials renewed = bootstrap("orders-token", ORDERS);
    assertThat(CaTesting.chains(renewed.identity().leaf(), List.of(ca.signingCertificate()))).isTrue();
    CaServerFixture.Stream s = new CaServerFixture.Stream(channel(ConfigChannels.mtls(ca::trustBundle, renewed)),
        registering("orders-1", "orders"));
    await().atMost(WAIT).until(() -> server.status().getRegistryCount() == 1);
    assertThat(s.end).isNotDone();

    ManagedChannel oldChannel = channel(ConfigChannels.mtls(ca::trustBundle, old));
    CaServerFixture.Stream before = new CaServerFixture.Stream(oldChannel, registering("orders-2", "orders"));
    await().atMost(WAIT).until(() -> server.status().getRegistryCount() == 2);

    ca.retireRotation();
    // A new connection with the old root's certificate no longer gets through, not even by resuming
    // the TLS session of the earlier connection on the same channel.
    oldChannel.enterIdle();
    Status status = endOf(new CaServerFixture.Stream(oldChannel, registering("orders-3", "orders")));
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(server.status().getNodesList()).extracting(n -> n.getId()).doesNotContain("orders-3");
    s.requests.onCompleted();
    before.requests.onCompleted();
  }

  @Test
  void requireIdentityWithoutTlsIsAClearError(@TempDir Path policies) throws Exception {
    CertificateAuthority a = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca2")).build();
    assertThatThrownBy(() -> ConfigServer.builder().policies(policies).certificateAuthority(a).requireIdentity(true)
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("requireIdentity: client certificates are verified on the TLS config port against the CA's"
            + " trust bundle (expected: certificateAuthority(..) and tls(..) as well)");
    assertThatThrownBy(() -> ConfigServer.builder().policies(policies).tls(List.of("localhost")).requireIdentity(true)
        .build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls: the config port's certificate");

    MainTest.Run noTls = MainTest.run("serve", "--policies", policies.toString(), "--ca-dir",
        tmp.resolve("ca3").toString(), "--require-identity", "--port", "0", "--status-port", "-1");
    assertThat(noTls.code()).isEqualTo(2);
    assertThat(noTls.err()).isEqualTo("serve: --require-identity needs --tls (client certificates are verified in the"
        + " TLS handshake; expected: --require-identity --tls)\n");
    MainTest.Run noCa = MainTest.run("serve", "--policies", policies.toString(), "--require-identity", "--tls",
        "--port", "0", "--status-port", "-1");
    assertThat(noCa.code()).isEqualTo(2);
    assertThat(noCa.err()).isEqualTo("serve: --require-identity needs a CA (expected: --ca-dir DIR, or --ca-cert FILE"
        + " --ca-key FILE)\n");
  }
}
