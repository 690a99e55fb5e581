package io.meshclient.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import io.meshclient.http.testing.MtlsHttpServer;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.SpiffeId;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLHandshakeException;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS through the OkHttp adapter, against real servers on loopback with real certificates
 * and real TLS 1.3 handshakes: what STRICT accepts and refuses (and what the refusal says), what
 * PERMISSIVE lets through and reports, and retries of failed handshakes.
 */
class MtlsTest {

  static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";
  static final String PAYMENTS = "spiffe://example.org/ns/shop/sa/payments";
  static final String FRONTEND = "spiffe://example.org/ns/shop/sa/frontend";

  TestCa ca;
  MeshCredentials clientCreds;
  final List<String> reports = new CopyOnWriteArrayList<>();
  final List<AutoCloseable> closeables = new ArrayList<>();
  OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    ca = new TestCa("mesh-root");
    clientCreds = MeshCredentials.create(ca.issue(FRONTEND), List.of(ca.certificate), reports::add);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      Fleet.shutdown(client);
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  /** A TLS-only server presenting {@code identity}, accepting any caller the root vouches for. */
  private MtlsHttpServer server(String name, MeshCredentials serverCreds) throws IOException {
    MtlsHttpServer s = new MtlsHttpServer(
        name, serverCreds.serverSslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of())), false);
    closeables.add(s);
    return s;
  }

  private MeshCredentials serverCreds(String identity) throws Exception {
    return MeshCredentials.create(ca.issue(identity), List.of(ca.certificate), reports::add);
  }

  private static ServicePolicy.Builder orders(TlsMode mode, int... ports) {
    ServicePolicy.Builder b = ServicePolicy.builder("orders").tls(mode).identities(List.of(ORDERS));
    for (int port : ports) {
      b.endpoint(EndpointSpec.of("127.0.0.1:" + port));
    }
    return b;
  }

  private OkHttpClient client(ServicePolicy policy) {
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(1)).build();
    mesh.update(MeshPolicy.builder().version("1").service(policy).build());
    client = MeshHttp.builder(mesh).credentials(clientCreds).client();
    return client;
  }

  @Test
  void strictCallsAJdkHttpsServerOverMtlsAndEachSideSeesTheOthersIdentity() throws Exception {
    MeshCredentials serverCreds = serverCreds(ORDERS);
    HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(
        serverCreds.serverSslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(FRONTEND)))));
    ExecutorService executor = Executors.newFixedThreadPool(2);
    https.setExecutor(executor);
    https.createContext("/", exchange -> {
      SpiffeId caller = SpiffeId.fromSession(((HttpsExchange) exchange).getSSLSession());
      byte[] body = String.valueOf(caller).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    https.start();
    closeables.add(() -> {
      https.stop(0);
      executor.shutdownNow();
    });
    // The client's trust manager checks the server's ID against the policy's identities: the
    // wrong-identity test below shows the same call refused when they do not match.
    client(orders(TlsMode.STRICT, https.getAddress().getPort()).build());
    for (int i = 0; i < 3; i++) {
      assertThat(Fleet.get(client, "http://orders/whoami")).isEqualTo(FRONTEND);
    }
    assertThat(reports).isEmpty();
  }

  @Test
  void strictRefusesAPlaintextServerWithoutFallingBack() throws Exception {
    try (Fleet plaintext = new Fleet(1)) {
      client(orders(TlsMode.STRICT, plaintext.port(0)).build());
      assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining(
              "meshclient: service 'orders' requires mTLS (tls: STRICT) but endpoint 127.0.0.1:"
                  + plaintext.port(0) + " does not speak TLS: it answered \"HTTP/1.1 400")
          .hasMessageContaining("no plaintext fallback under STRICT");
      assertThat(plaintext.received(0)).isZero();
    }
  }

  @Test
  void strictRefusesAServerWhoseIdentityThePolicyDoesNotAllow() throws Exception {
    MtlsHttpServer payments = server("payments", serverCreds(PAYMENTS));
    client(orders(TlsMode.STRICT, payments.port()).build());
    assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("meshclient: mTLS to service 'orders' endpoint 127.0.0.1:" + payments.port() + " failed: ")
        .hasMessageContaining("orders: the server presented " + PAYMENTS + ", expected one of [" + ORDERS + "]")
        // and why the mesh stopped there
        .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
            .anyMatch(m -> m.startsWith("meshclient: service 'orders' not retried")));
    assertThat(payments.requests).hasValue(0);
  }

  @Test
  void strictRefusesAnExpiredServerCertificate() throws Exception {
    MeshCredentials expired = MeshCredentials.create(
        ca.issue(ORDERS, Instant.now().minusSeconds(7200), Instant.now().minusSeconds(3600)),
        List.of(ca.certificate), reports::add);
    MtlsHttpServer server = server("orders", expired);
    client(orders(TlsMode.STRICT, server.port()).build());
    assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("meshclient: mTLS to service 'orders' endpoint 127.0.0.1:" + server.port())
        .hasMessageContaining("orders: the server's certificate")
        .hasMessageContaining("expired");
    assertThat(server.requests).hasValue(0);
  }

  @Test
  void strictRefusesAServerCertificateFromAnUntrustedCa() throws Exception {
    TestCa rogue = new TestCa("rogue-root");
    MeshCredentials rogueCreds = MeshCredentials.create(rogue.issue(ORDERS), List.of(rogue.certificate), reports::add);
    MtlsHttpServer server = server("orders", rogueCreds);
    client(orders(TlsMode.STRICT, server.port()).build());
    assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("meshclient: mTLS to service 'orders' endpoint 127.0.0.1:" + server.port())
        .hasMessageContaining("is not trusted")
        .hasMessageContaining("trust bundle: [CN=mesh-root]");
    assertThat(server.requests).hasValue(0);
  }

  @Test
  void strictWithoutCredentialsOrIdentityOrOverHttpsIsRefusedBeforeSending() throws Exception {
    try (Fleet plaintext = new Fleet(1)) {
      Mesh mesh = Mesh.builder().build();
      mesh.update(MeshPolicy.builder().version("1").service(orders(TlsMode.STRICT, plaintext.port(0)).build()).build());
      client = MeshHttp.client(mesh);
      assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
          .hasMessage("meshclient: service 'orders' requires mTLS (tls: STRICT), but this client has no mTLS"
              + " credentials (expected: MeshHttp.builder(mesh).credentials(meshCredentials))");
      Fleet.shutdown(client);

      MeshCredentials noIdentity = MeshCredentials.create(null, List.of(ca.certificate), reports::add);
      client = MeshHttp.builder(mesh).credentials(noIdentity).client();
      assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
          .hasMessageContaining("requires mTLS (tls: STRICT), but its credentials hold no workload identity yet");
      Fleet.shutdown(client);

      client = MeshHttp.builder(mesh).credentials(clientCreds).client();
      assertThatThrownBy(() -> Fleet.get(client, "https://orders/x"))
          .hasMessageContaining("requires mTLS (tls: STRICT), but the mesh adds mTLS to http:// URLs")
          .hasMessageContaining("(expected: http://orders/...)");
      assertThat(plaintext.received(0)).isZero();
    }
  }

  @Test
  void strictToASilentEndpointFailsOnTheReadTimeoutAndACancelSaysNothingAboutThePeer() throws Exception {
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // Never accepts: the kernel completes the TCP handshake, nobody answers the ClientHello.
      client(orders(TlsMode.STRICT, silent.getLocalPort())
          .retry(RetryPolicy.builder().maxAttempts(1).perTryTimeout(Duration.ofMillis(300)).build())
          .build());
      assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessage("meshclient: mTLS to service 'orders' endpoint 127.0.0.1:" + silent.getLocalPort()
              + " failed: no answer to the TLS ClientHello within 300 ms");

      // PERMISSIVE, cancelled during the handshake (callTimeout): the socket was closed on this
      // side, so there is nothing to report about the peer and no plaintext fallback to try.
      Fleet.shutdown(client);
      OkHttpClient impatient =
          client(orders(TlsMode.PERMISSIVE, silent.getLocalPort())
              .retry(RetryPolicy.builder().maxAttempts(1).perTryTimeout(Duration.ofSeconds(5)).build())
              .build())
              .newBuilder().callTimeout(Duration.ofMillis(300)).build();
      assertThatThrownBy(() -> Fleet.get(impatient, "http://orders/x"))
          .isInstanceOf(java.io.InterruptedIOException.class)
          .hasMessage("timeout");
    }
    assertThat(reports).isEmpty();
  }

  @Test
  void permissiveCallsAPlaintextServerInPlaintextAndReportsItOncePerEndpoint() throws Exception {
    try (Fleet plaintext = new Fleet(1)) {
      client(orders(TlsMode.PERMISSIVE, plaintext.port(0)).build());
      for (int i = 0; i < 5; i++) {
        assertThat(Fleet.get(client, "http://orders/x")).isEqualTo("s0");
        client.connectionPool().evictAll(); // each call opens a new connection: tries mTLS again
      }
      assertThat(plaintext.received(0)).isEqualTo(5);
      assertThat(reports).singleElement().asString()
          .isEqualTo("PERMISSIVE: service 'orders' endpoint 127.0.0.1:" + plaintext.port(0)
              + " does not speak TLS (it answered \"HTTP/1.1 400 Bad Request\"): calling it in plaintext");
    }
  }

  @Test
  void permissiveAcceptsAnUnknownServerIdentityOverMtlsAndReportsIt() throws Exception {
    MtlsHttpServer payments = server("payments", serverCreds(PAYMENTS));
    client(orders(TlsMode.PERMISSIVE, payments.port()).build());
    assertThat(Fleet.get(client, "http://orders/x")).startsWith("payments tls " + FRONTEND + " ");
    assertThat(reports).singleElement().asString()
        .isEqualTo("PERMISSIVE: accepted although not allowed: orders: the server presented "
            + PAYMENTS + ", expected one of [" + ORDERS + "]");
  }

  @Test
  void aStrictHandshakeFailureIsRetriedOnAnotherEndpoint() throws Exception {
    MtlsHttpServer impostor = server("impostor", serverCreds(PAYMENTS));
    MtlsHttpServer good = server("good", serverCreds(ORDERS));
    ServicePolicy policy =
        orders(TlsMode.STRICT, impostor.port(), good.port())
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .retry(RetryPolicy.builder()
                .maxAttempts(2)
                .backoff(BackoffPolicy.of(Duration.ofMillis(1), Duration.ofMillis(2)))
                .build())
            .build();
    client(policy);
    for (int i = 0; i < 10; i++) {
      assertThat(Fleet.get(client, "http://orders/x")).startsWith("good tls " + FRONTEND);
    }
    assertThat(impostor.failedHandshakes.get()).isPositive();
    assertThat(impostor.requests).hasValue(0);
    assertThat(client.connectionPool().connectionCount()).isPositive();
  }

  @Test
  void aNonMeshHttpsHostPassesThroughWithOkHttpsOwnTlsOverTheMeshSocket() throws Exception {
    MtlsHttpServer server = server("direct", serverCreds(ORDERS));
    PeerPolicy peer = PeerPolicy.fixed("direct", TlsMode.STRICT, List.of(ORDERS));
    Mesh mesh = Mesh.builder().build();
    mesh.update(MeshPolicy.builder().version("1").service(orders(TlsMode.STRICT, server.port()).build()).build());
    OkHttpClient.Builder own =
        new OkHttpClient.Builder()
            .sslSocketFactory(clientCreds.sslContext(peer).getSocketFactory(), clientCreds.trustManager(peer))
            .hostnameVerifier((host, session) -> true);
    client = MeshHttp.builder(mesh).credentials(clientCreds).addTo(own).build();
    assertThat(Fleet.get(client, "https://127.0.0.1:" + server.port() + "/x")).startsWith("direct tls " + FRONTEND);
    assertThat(Fleet.get(client, "http://orders/x")).startsWith("direct tls " + FRONTEND);
  }

  @Test
  void theNextConnectionMeetsTheCurrentIdentitiesNotAResumedSession() throws Exception {
    MtlsHttpServer server = server("orders", serverCreds(ORDERS));
    Mesh mesh = Mesh.builder().build();
    mesh.update(MeshPolicy.builder().version("1").service(orders(TlsMode.STRICT, server.port()).build()).build());
    client = MeshHttp.builder(mesh).credentials(clientCreds).client();
    assertThat(Fleet.get(client, "http://orders/x")).startsWith("orders tls");

    // Same endpoint, same mode, new allowed identities: a resumed TLS session would skip the check.
    mesh.update(MeshPolicy.builder().version("2")
        .service(orders(TlsMode.STRICT, server.port()).identities(List.of(PAYMENTS)).build()).build());
    client.connectionPool().evictAll();
    assertThatThrownBy(() -> Fleet.get(client, "http://orders/x"))
        .hasMessageContaining("the server presented " + ORDERS + ", expected one of [" + PAYMENTS + "]");
  }
}
