package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ChannelCredentials;
import io.grpc.Status;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to the config server with the trust roots of a PEM file: the watcher and the renewer work
 * against a real TLS Netty server whose certificate chains to the file, and refuse one that does
 * not, before any token is sent.
 */
class ConfigChannelsTest {

  static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";

  static TestCa serverCa;
  static TestCa strangerCa;

  @TempDir Path dir;
  TestConfigServer server;

  @BeforeAll
  static void cas() throws Exception {
    serverCa = new TestCa("config-server-root");
    strangerCa = new TestCa("stranger-root");
  }

  @BeforeEach
  void start() throws Exception {
    server = new TestConfigServer(serverCa, Instant::now).startTls();
    server.tokens.put("tok-orders", ORDERS);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Path pem(String name, X509Certificate... certs) throws Exception {
    StringBuilder s = new StringBuilder();
    for (X509Certificate c : certs) {
      s.append("-----BEGIN CERTIFICATE-----\n")
          .append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded()))
          .append("\n-----END CERTIFICATE-----\n");
    }
    return Files.writeString(dir.resolve(name), s.toString());
  }

  private static final class Disconnects implements WatcherListener {
    final List<Status> statuses = new CopyOnWriteArrayList<>();

    @Override
    public void onDisconnected(Status status, Duration retryIn) {
      statuses.add(status);
    }
  }

  private static String causes(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      s.append(c).append(" / ");
    }
    return s.toString();
  }

  @Test
  void theWatcherAndTheRenewerTalkTlsToAServerChainingToThePem() throws Exception {
    Path trusted = pem("trusted.pem", strangerCa.certificate, serverCa.certificate);
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(server.target(), ConfigChannels.tls(trusted))
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders")
        .sink(new PolicySink() {
          @Override
          public void apply(io.meshclient.policy.MeshPolicy policy) {}

          @Override
          public void endpoints(String service, List<io.meshclient.policy.EndpointSpec> endpoints) {}
        })
        .build().start()) {
      DiscoveryRequest first = server.nextStreamRequest();
      assertThat(first.getNode().getId()).isEqualTo("client-1");
      server.push(DiscoveryResponse.newBuilder().setVersionInfo("1-a").setNonce("1").build());
      assertThat(server.nextStreamRequest().getResponseNonce()).isEqualTo("1");
      assertThat(w.connected()).isTrue();
    }
    try (CertificateRenewer r = CertificateRenewer.builder().target(server.target(), ConfigChannels.tls(trusted))
        .bearerToken(() -> "tok-orders").build()) {
      MeshCredentials creds = r.start(Duration.ofSeconds(20));
      assertThat(creds.identity().id()).isEqualTo(SpiffeId.parse(ORDERS));
      assertThat(server.received()).singleElement().extracting(TestConfigServer.Received::authorization)
          .isEqualTo("Bearer tok-orders");
    }
  }

  @Test
  void aServerThatDoesNotChainToThePemIsRefusedBeforeTheTokenIsSent() throws Exception {
    Path untrusted = pem("untrusted.pem", strangerCa.certificate);
    Disconnects disconnects = new Disconnects();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(server.target(), ConfigChannels.tls(untrusted))
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders")
        .sink(new PolicySink() {
          @Override
          public void apply(io.meshclient.policy.MeshPolicy policy) {}

          @Override
          public void endpoints(String service, List<io.meshclient.policy.EndpointSpec> endpoints) {}
        })
        .backoff(Duration.ofSeconds(30), Duration.ofSeconds(30)).listener(disconnects).build().start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> !disconnects.statuses.isEmpty());
      Status status = disconnects.statuses.get(0);
      assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(causes(status.asException())).contains("SSLHandshakeException").contains("PKIX path building failed");
      assertThat(w.connected()).isFalse();
    }
    assertThat(server.streamRequests).isEmpty();

    try (CertificateRenewer r = CertificateRenewer.builder().target(server.target(), ConfigChannels.tls(untrusted))
        .bearerToken(() -> "tok-orders").backoff(Duration.ofSeconds(30), Duration.ofSeconds(30)).build()) {
      assertThatThrownBy(() -> r.start(Duration.ofSeconds(2)))
          .isInstanceOfSatisfying(WorkloadCertificateException.class,
              e -> assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE))
          .hasMessageStartingWith("no workload certificate from config server " + server.target()
              + " within PT2S: the last attempt failed: UNAVAILABLE: ")
          .hasMessageContaining("unable to find valid certification path to requested target")
          .hasMessageEndingWith("(the TLS handshake with the config server failed: does its certificate chain to the"
              + " roots given to ConfigChannels.tls, and name the target's host?)")
          .hasMessageNotContaining("\n");
    }
    assertThat(server.received()).isEmpty();
  }

  @Test
  void liveRootsAreReadAtEachHandshakeSoTheConfigPortCanMoveToANewRoot() throws Exception {
    AtomicReference<List<X509Certificate>> roots = new AtomicReference<>(List.of(strangerCa.certificate));
    ChannelCredentials tls = ConfigChannels.tls(roots::get);
    try (CertificateRenewer r = CertificateRenewer.builder().target(server.target(), tls)
        .bearerToken(() -> "tok-orders").backoff(Duration.ofSeconds(30), Duration.ofSeconds(30)).build()) {
      assertThatThrownBy(() -> r.start(Duration.ofSeconds(2)))
          .hasMessageContaining("unable to find valid certification path to requested target");
    }
    assertThat(server.received()).isEmpty();

    roots.set(List.of(strangerCa.certificate, serverCa.certificate)); // as updateTrust would
    try (CertificateRenewer r = CertificateRenewer.builder().target(server.target(), tls)
        .bearerToken(() -> "tok-orders").build()) {
      assertThat(r.start(Duration.ofSeconds(20)).identity().id()).isEqualTo(SpiffeId.parse(ORDERS));
    }
    assertThatThrownBy(() -> ConfigChannels.tls(List::of))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("roots: empty (expected at least one CA certificate)");
  }

  @Test
  void mtlsPresentsTheWorkloadCertificateAndARenewedOneOnTheNextConnection() throws Exception {
    server.close();
    server = new TestConfigServer(serverCa, Instant::now).startMtls(serverCa.certificate);
    io.meshclient.tls.WorkloadIdentity first = serverCa.issue(ORDERS);
    MeshCredentials creds = MeshCredentials.create(first, List.of(serverCa.certificate), msg -> {});
    io.grpc.ManagedChannel ch = io.grpc.Grpc.newChannelBuilder(server.target(),
        ConfigChannels.mtls(creds::trustRoots, creds)).build();
    try {
      openStream(ch);
      assertThat(server.streamClients).extracting(X509Certificate::getSerialNumber)
          .containsExactly(first.leaf().getSerialNumber());

      // Renewed: the open connection keeps its certificate, the next one presents the new one.
      io.meshclient.tls.WorkloadIdentity renewed = serverCa.issue(ORDERS);
      creds.update(renewed);
      openStream(ch);
      assertThat(server.streamClients.get(1).getSerialNumber()).isEqualTo(first.leaf().getSerialNumber());
      ch.enterIdle(); // drops the connection
      openStream(ch);
      assertThat(server.streamPeers.get(2)).as("a new connection").isNotEqualTo(server.streamPeers.get(1));
      assertThat(server.streamClients.get(2).getSerialNumber()).isEqualTo(renewed.leaf().getSerialNumber());
    } finally {
      ch.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    // No certificate yet: a server that requires one refuses the handshake; nothing reaches it.
    MeshCredentials none = MeshCredentials.create(null, List.of(serverCa.certificate), msg -> {});
    Disconnects disconnects = new Disconnects();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(server.target(), ConfigChannels.mtls(none::trustRoots, none))
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders").sink(PolicySink.none())
        .backoff(Duration.ofSeconds(30), Duration.ofSeconds(30)).listener(disconnects).build().start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> !disconnects.statuses.isEmpty());
      assertThat(disconnects.statuses.get(0).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(w.connected()).isFalse();
    }
    assertThat(server.streamClients).hasSize(3);
  }

  /** Opens a config stream on {@code ch} and waits for its first request to reach the server. */
  private void openStream(io.grpc.ManagedChannel ch) throws InterruptedException {
    io.meshclient.config.v1.MeshDiscoveryServiceGrpc.newStub(ch).streamPolicies(new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    }).onNext(DiscoveryRequest.newBuilder().setNode(io.meshclient.config.v1.Node.newBuilder().setId("n")).build());
    server.nextStreamRequest();
  }

  @Test
  void aBadPemFileIsNamedWithWhatWasExpected() throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> ConfigChannels.tls(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("trust bundle " + missing + ": cannot read it: java.nio.file.NoSuchFileException")
        .hasMessageEndingWith("expected a PEM file of CA certificates)");
    Path notPem = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> ConfigChannels.tls(notPem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("trust bundle " + notPem + ": not valid PEM certificates: ")
        .hasMessageEndingWith(" (expected -----BEGIN CERTIFICATE----- blocks)");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThatThrownBy(() -> ConfigChannels.tls(empty))
        .hasMessage("trust bundle " + empty + ": no certificate in it (expected -----BEGIN CERTIFICATE----- blocks)");
  }
}
