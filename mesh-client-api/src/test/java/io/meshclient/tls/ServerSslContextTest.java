package io.meshclient.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.meshclient.policy.TlsMode;
import io.meshclient.testing.TestCa;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyManagementException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MeshCredentials#serverSslContext} behind the JDK's own {@code HttpsServer} (configured
 * with nothing but the context: no client-auth setting of its own), with real TLS 1.3 handshakes.
 */
class ServerSslContextTest {

  static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";
  static final String FRONTEND = "spiffe://example.org/ns/shop/sa/frontend";

  TestCa ca;
  MeshCredentials serverCreds;
  MeshCredentials clientCreds;
  final List<String> reports = new CopyOnWriteArrayList<>();
  final List<String> callersSeen = new CopyOnWriteArrayList<>();
  HttpsServer server;
  ExecutorService executor = Executors.newFixedThreadPool(2);

  @BeforeEach
  void setUp() throws Exception {
    ca = new TestCa("mesh-root");
    serverCreds = MeshCredentials.create(ca.issue(ORDERS), List.of(ca.certificate), reports::add);
    clientCreds = MeshCredentials.create(ca.issue(FRONTEND), List.of(ca.certificate), reports::add);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.stop(0);
    }
    executor.shutdownNow();
  }

  /** An HttpsServer whose handler answers with the caller's SPIFFE ID ("none" without one). */
  private void startServer(PeerPolicy inbound) throws IOException {
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverCreds.serverSslContext(inbound)));
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          SpiffeId caller = SpiffeId.fromSession(((HttpsExchange) exchange).getSSLSession());
          String body = caller == null ? "none" : caller.toString();
          callersSeen.add(body);
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
  }

  /** One GET over a new TLS connection from {@code creds}; returns the body and the server's ID. */
  private String get(MeshCredentials creds, AtomicReference<SpiffeId> serverId) throws IOException {
    SSLContext context = creds.sslContext(PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS)));
    try (SSLSocket s = (SSLSocket) context.getSocketFactory()
        .createSocket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      serverId.set(SpiffeId.fromSession(s.getSession()));
      OutputStream out = s.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: orders\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (response.isEmpty()) {
        throw new IOException("the server closed the connection without an answer");
      }
      assertThat(response).startsWith("HTTP/1.1 200");
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  @Test
  void strictServerSeesTheCallersIdentityAndTheCallerSeesTheServers() throws Exception {
    startServer(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(FRONTEND)));
    AtomicReference<SpiffeId> serverId = new AtomicReference<>();
    assertThat(get(clientCreds, serverId)).isEqualTo(FRONTEND);
    assertThat(serverId.get()).isEqualTo(SpiffeId.parse(ORDERS));
    assertThat(reports).isEmpty();
  }

  @Test
  void strictServerRefusesACallerWithoutACertificate() throws Exception {
    startServer(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of()));
    MeshCredentials anonymous = MeshCredentials.create(null, List.of(ca.certificate), reports::add);
    // TLS 1.3: the client's handshake ends before the server checks its (absent) certificate; the
    // server then drops the connection (its alert may or may not arrive before the reset).
    assertThatThrownBy(() -> get(anonymous, new AtomicReference<>())).isInstanceOf(IOException.class);
    assertThat(callersSeen).isEmpty();
  }

  @Test
  void strictServerRefusesACallerWhoseIdentityItDoesNotAllow() throws Exception {
    startServer(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of("spiffe://example.org/ns/shop/sa/admin")));
    assertThatThrownBy(() -> get(clientCreds, new AtomicReference<>())).isInstanceOf(IOException.class);
    assertThat(callersSeen).isEmpty();
  }

  @Test
  void permissiveServerAcceptsACallerWithoutACertificateAndSaysSo() throws Exception {
    startServer(PeerPolicy.fixed("inbound", TlsMode.PERMISSIVE, List.of(FRONTEND)));
    MeshCredentials anonymous = MeshCredentials.create(null, List.of(ca.certificate), reports::add);
    assertThat(get(anonymous, new AtomicReference<>())).isEqualTo("none");
    assertThat(get(clientCreds, new AtomicReference<>())).isEqualTo(FRONTEND);
  }

  @Test
  void permissiveServerAcceptsAnUnknownCallerAndReportsIt() throws Exception {
    startServer(PeerPolicy.fixed("inbound", TlsMode.PERMISSIVE, List.of("spiffe://example.org/ns/shop/sa/admin")));
    assertThat(get(clientCreds, new AtomicReference<>())).isEqualTo(FRONTEND);
    assertThat(reports).singleElement().asString()
        .contains("PERMISSIVE")
        .contains("inbound: the client presented " + FRONTEND);
  }

  @Test
  void everyServerSideSocketAndEngineAsksForTheCallersCertificateAsTheModeIsWhenMade() throws Exception {
    AtomicReference<TlsMode> mode = new AtomicReference<>(TlsMode.STRICT);
    PeerPolicy live = new PeerPolicy() {
      @Override public String name() { return "inbound"; }
      @Override public TlsMode mode() { return mode.get(); }
      @Override public List<String> identities() { return List.of(); }
    };
    SSLContext context = serverCreds.serverSslContext(live);
    try (SSLServerSocket ss = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0)) {
      assertThat(ss.getNeedClientAuth()).isTrue();
    }
    SSLEngine engine = context.createSSLEngine();
    assertThat(engine.getNeedClientAuth()).isTrue();
    assertThat(context.getDefaultSSLParameters().getNeedClientAuth()).isTrue();

    mode.set(TlsMode.PERMISSIVE);
    SSLEngine next = context.createSSLEngine("peer", 1);
    assertThat(next.getNeedClientAuth()).isFalse();
    assertThat(next.getWantClientAuth()).isTrue();
    assertThat(engine.getNeedClientAuth()).as("an engine keeps what it was made with").isTrue();
    assertThat(context.getDefaultSSLParameters().getWantClientAuth()).isTrue();

    // A server that sniffs the first byte layers a server-mode socket over the accepted one.
    try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), plain.getLocalPort());
        Socket accepted = plain.accept()) {
      assertThat(client.isConnected()).isTrue();
      InputStream consumed = new ByteArrayInputStream(new byte[0]);
      SSLSocket layered = (SSLSocket) context.getSocketFactory().createSocket(accepted, consumed, true);
      assertThat(layered.getUseClientMode()).isFalse();
      assertThat(layered.getWantClientAuth()).isTrue();
    }
  }

  @Test
  void theServerContextCannotBeReinitialized() {
    SSLContext context = serverCreds.serverSslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of()));
    assertThatThrownBy(() -> context.init(null, null, null))
        .isInstanceOf(KeyManagementException.class)
        .hasMessageContaining("already initialized by MeshCredentials.serverSslContext");
  }

  @Test
  void fromSessionIsNullWithoutAPeerCertificate() throws Exception {
    SSLContext context = serverCreds.serverSslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of()));
    // A session that never handshook has no peer.
    assertThat(SpiffeId.fromSession(context.createSSLEngine().getSession())).isNull();
  }
}
