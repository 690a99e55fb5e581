package io.meshclient.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.policy.TlsMode;
import io.meshclient.testing.TestCa;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real TLS 1.3 handshakes on loopback with real certificates, both sides using MeshCredentials. */
class MeshCredentialsTest {

  static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";
  static final String PAYMENTS = "spiffe://example.org/ns/shop/sa/payments";
  static final String CLIENT = "spiffe://example.org/ns/shop/sa/frontend";

  TestCa ca;
  MeshCredentials server;
  MeshCredentials client;
  final List<String> reports = new CopyOnWriteArrayList<>();
  SSLServerSocket listener;
  ExecutorService executor = Executors.newCachedThreadPool();
  final List<BigInteger> serialsSeenByServer = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    ca = new TestCa("mesh-root-1");
    server = MeshCredentials.create(ca.issue(ORDERS), List.of(ca.certificate), reports::add);
    client = MeshCredentials.create(ca.issue(CLIENT), List.of(ca.certificate), reports::add);
    startServer(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of()));
  }

  @AfterEach
  void tearDown() throws IOException {
    listener.close();
    executor.shutdownNow();
  }

  private void startServer(PeerPolicy inbound) throws IOException {
    listener = (SSLServerSocket) server.sslContext(inbound).getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    listener.setNeedClientAuth(true);
    executor.submit(() -> {
      while (!listener.isClosed()) {
        try {
          SSLSocket s = (SSLSocket) listener.accept();
          executor.submit(() -> echo(s));
        } catch (IOException e) {
          return null;
        }
      }
      return null;
    });
  }

  private Void echo(SSLSocket s) {
    try (s) {
      s.startHandshake();
      X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
      serialsSeenByServer.add(peer.getSerialNumber());
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      out.write(in.read());
      out.flush();
    } catch (IOException e) {
      // the client's handshake failed; the client side asserts why
    }
    return null;
  }

  /** One request over a new connection; returns the server certificate's serial. */
  private BigInteger call(PeerPolicy toOrders) throws IOException {
    try (SSLSocket s = (SSLSocket) client.sslContext(toOrders).getSocketFactory()
        .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      s.getOutputStream().write(42);
      s.getOutputStream().flush();
      assertThat(s.getInputStream().read()).isEqualTo(42);
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  @Test
  void strictHandshakeWithAllowedIdentitySucceeds() throws Exception {
    BigInteger serial = call(PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS)));
    assertThat(serial).isEqualTo(server.identity().leaf().getSerialNumber());
    assertThat(reports).isEmpty();
  }

  @Test
  void strictRefusesAnIdentityThePolicyDoesNotAllow() {
    assertThatThrownBy(() -> call(PeerPolicy.fixed("payments", TlsMode.STRICT, List.of(PAYMENTS))))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("payments: the server presented " + ORDERS + ", expected one of [" + PAYMENTS + "]");
  }

  @Test
  void permissiveAcceptsAnUnknownIdentityAndReportsIt() throws Exception {
    call(PeerPolicy.fixed("payments", TlsMode.PERMISSIVE, List.of(PAYMENTS)));
    assertThat(reports).singleElement().asString()
        .contains("PERMISSIVE")
        .contains("presented " + ORDERS);
  }

  @Test
  void anExpiredServerCertificateIsRefused() throws Exception {
    server.update(ca.issue(ORDERS, Instant.now().minusSeconds(7200), Instant.now().minusSeconds(3600)));
    assertThatThrownBy(() -> call(PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS))))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("orders: the server's certificate")
        .hasMessageContaining("expired");
  }

  @Test
  void aCertificateFromAnUntrustedCaIsRefused() throws Exception {
    TestCa rogue = new TestCa("rogue-root");
    server.update(rogue.issue(ORDERS));
    assertThatThrownBy(() -> call(PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS))))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("is not trusted")
        .hasMessageContaining("CN=mesh-root-1");
  }

  @Test
  void rotationReplacesTheIdentityWithoutRebuildingAnything() throws Exception {
    PeerPolicy orders = PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS));
    List<BigInteger> seen = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      seen.add(call(orders));
      server.update(ca.issue(ORDERS));
      client.update(ca.issue(CLIENT));
    }
    assertThat(seen).doesNotHaveDuplicates().hasSize(3);
    assertThat(serialsSeenByServer).doesNotHaveDuplicates().hasSize(3);
  }

  @Test
  void aCaRotationWithOverlapFailsNoHandshake() throws Exception {
    PeerPolicy orders = PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS));
    TestCa next = new TestCa("mesh-root-2");
    // 1. both sides trust both roots; 2. identities move to the new root; 3. the old root leaves.
    server.updateTrust(List.of(ca.certificate, next.certificate));
    client.updateTrust(List.of(ca.certificate, next.certificate));
    call(orders);
    server.update(next.issue(ORDERS));
    call(orders); // new server cert, old client cert: both trusted
    client.update(next.issue(CLIENT));
    call(orders);
    server.updateTrust(List.of(next.certificate));
    client.updateTrust(List.of(next.certificate));
    call(orders);
    assertThat(serialsSeenByServer).hasSize(4);
  }

  @Test
  void aServerRefusesAClientWhoseIdentityItDoesNotAllow() throws Exception {
    listener.close();
    startServer(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(PAYMENTS)));
    assertThatThrownBy(() -> call(PeerPolicy.fixed("orders", TlsMode.STRICT, List.of(ORDERS))))
        .isInstanceOf(IOException.class);
    assertThat(serialsSeenByServer).isEmpty();
  }

  @Test
  void anIdentityUpdateDuringAHandshakeNeverPairsTheOldCertificateWithTheNewKey() throws Exception {
    javax.net.ssl.X509ExtendedKeyManager km = client.keyManager();
    WorkloadIdentity before = client.identity();
    String alias = km.chooseClientAlias(new String[] {"EC"}, null, null);
    client.update(ca.issue(CLIENT)); // lands between the alias and the chain/key reads
    assertThat(km.getCertificateChain(alias)).containsExactly(before.leaf());
    assertThat(km.getPrivateKey(alias)).isSameAs(before.key());
    String next = km.chooseClientAlias(new String[] {"EC"}, null, null);
    assertThat(next).isNotEqualTo(alias);
    assertThat(km.getCertificateChain(next)).containsExactly(client.identity().leaf());
    assertThat(km.getPrivateKey(next)).isSameAs(client.identity().key());
    for (int i = 0; i < 10; i++) {
      client.update(ca.issue(CLIENT));
      km.chooseClientAlias(new String[] {"EC"}, null, null);
    }
    assertThat(km.getPrivateKey(alias)).as("long-rotated identities are forgotten").isNull();
  }

  @Test
  void spiffeIdsParseAndRefuseNonsense() {
    assertThat(SpiffeId.parse(ORDERS)).isEqualTo(SpiffeId.of("example.org", "shop", "orders"));
    assertThatThrownBy(() -> SpiffeId.parse("https://example.org/x"))
        .hasMessageContaining("not a SPIFFE ID: 'https://example.org/x'");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://example.org"))
        .hasMessageContaining("without a path");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://Example.org/a"))
        .hasMessageContaining("invalid SPIFFE trust domain 'Example.org'");
  }
}
