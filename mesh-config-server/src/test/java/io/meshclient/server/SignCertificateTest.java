package io.meshclient.server;

import static io.meshclient.server.CaServerFixture.ORDERS;
import static io.meshclient.server.CaServerFixture.PAYMENTS;
import static io.meshclient.server.CaServerFixture.sign;
import static io.meshclient.server.ca.CaTesting.csr;
import static io.meshclient.server.ca.CaTesting.p256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.meshclient.config.v1.CertificateRequest;
import io.meshclient.config.v1.CertificateResponse;
import io.meshclient.policy.TlsMode;
import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.ca.CaTesting.MutableClock;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.SpiffeId;
import io.meshclient.tls.WorkloadIdentity;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SignCertificate over real gRPC on loopback: real CSRs in, real certificates out, real TLS with them. */
class SignCertificateTest {

  @TempDir Path tmp;
  private final MutableClock clock = MutableClock.now();
  private final Instant inventoryExpiry = clock.instant().plus(Duration.ofHours(1));
  private ConfigServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    Path tokens = Files.writeString(tmp.resolve("tokens.yaml"), CaServerFixture.tokens(inventoryExpiry.toString()));
    CertificateAuthority ca = CertificateAuthority.builder().stateDirectory(tmp.resolve("ca"))
        .maxTtl(Duration.ofHours(12)).build();
    server = Fixture.server(policies).certificateAuthority(ca).tokens(tokens).clock(clock).build().start();
    channel = CaServerFixture.channel(server);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @Test
  void aCsrBecomesAShortLivedSvidThatChainsToTheRoot() throws Exception {
    KeyPair keys = p256();
    Instant before = Instant.now().minusSeconds(1);
    CertificateResponse r = sign(channel, "orders-token", csr(keys, ORDERS), 3600);
    Instant after = Instant.now().plusSeconds(1);

    assertThat(r.getSpiffeId()).isEqualTo(ORDERS);
    assertThat(r.getCertificateChainCount()).isEqualTo(1);
    X509Certificate leaf = CaTesting.certificate(r.getCertificateChain(0).toByteArray());
    List<X509Certificate> bundle = CaServerFixture.certificates(r.getTrustBundleList());
    assertThat(bundle).containsExactlyElementsOf(server.certificateAuthority().trustBundle());
    CaTesting.verify(leaf, bundle, Instant.now());

    assertThat(SpiffeId.fromCertificate(leaf)).hasToString(ORDERS);
    assertThat(leaf.getPublicKey().getEncoded()).isEqualTo(keys.getPublic().getEncoded());
    assertThat(((ECPublicKey) leaf.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(leaf.getNotAfter().toInstant()).isBetween(before.plusSeconds(3600), after.plusSeconds(3600));
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    boolean[] ku = leaf.getKeyUsage();
    assertThat(ku[0]).as("digitalSignature").isTrue();
    assertThat(ku[4]).as("keyAgreement").isTrue();
    assertThat(ku[2]).as("keyEncipherment").isFalse();
    assertThat(ku[5]).as("keyCertSign").isFalse();
    byte[] aki = AuthorityKeyIdentifier.fromExtensions(new JcaX509CertificateHolder(leaf).getExtensions()).getKeyIdentifierOctets();
    byte[] caSki = SubjectKeyIdentifier.fromExtensions(new JcaX509CertificateHolder(bundle.get(0)).getExtensions()).getKeyIdentifier();
    assertThat(aki).isEqualTo(caSki);
    assertThat(new JcaX509CertificateHolder(leaf).getExtension(Extension.subjectKeyIdentifier)).isNotNull();
    assertThat(server.caStatus().issued()).isEqualTo(1);
  }

  @Test
  void withoutAUriSanTheTokensIdentityIsIssuedAndTtlsAreCappedAtTheMaximum() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    CertificateResponse r = sign(channel, "payments-token", csr(p256(), null), 7 * 24 * 3600);
    X509Certificate leaf = CaTesting.certificate(r.getCertificateChain(0).toByteArray());
    assertThat(SpiffeId.fromCertificate(leaf)).hasToString(PAYMENTS);
    assertThat(r.getSpiffeId()).isEqualTo(PAYMENTS);
    assertThat(leaf.getNotAfter().toInstant()).isBetween(before.plus(Duration.ofHours(12)),
        Instant.now().plus(Duration.ofHours(12)).plusSeconds(1));
  }

  @Test
  void rsa2048IsAcceptedWithKeyEnciphermentInsteadOfKeyAgreement() throws Exception {
    KeyPair rsa = CaTesting.keys("RSA", 2048);
    X509Certificate leaf = CaTesting.certificate(sign(channel, "orders-token", csr(rsa, ORDERS), 0)
        .getCertificateChain(0).toByteArray());
    assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("RSA");
    assertThat(leaf.getKeyUsage()[2]).as("keyEncipherment").isTrue();
    assertThat(leaf.getKeyUsage()[4]).as("keyAgreement").isFalse();
  }

  @Test
  void issuedCertificatesMakeAMutualTlsHandshakeWithMeshCredentialsOnBothSides() throws Exception {
    WorkloadIdentity orders = CaServerFixture.identity(channel, "orders-token", ORDERS);
    WorkloadIdentity payments = CaServerFixture.identity(channel, "payments-token", PAYMENTS);
    List<X509Certificate> roots = server.certificateAuthority().trustBundle();
    MeshCredentials serverSide = MeshCredentials.create(payments, roots, msg -> {});
    MeshCredentials clientSide = MeshCredentials.create(orders, roots, msg -> {});

    try (SSLServerSocket listener = (SSLServerSocket) serverSide
        .sslContext(PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(ORDERS)))
        .getServerSocketFactory().createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          InputStream in = s.getInputStream();
          int b = in.read();
          s.getOutputStream().write(b + 1);
          s.getOutputStream().flush();
          return SpiffeId.fromCertificate((X509Certificate) s.getSession().getPeerCertificates()[0]).toString();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      try (SSLSocket s = (SSLSocket) clientSide.sslContext(PeerPolicy.fixed("payments", TlsMode.STRICT, List.of(PAYMENTS)))
          .getSocketFactory().createSocket(java.net.InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        OutputStream out = s.getOutputStream();
        out.write(41);
        out.flush();
        assertThat(s.getInputStream().read()).isEqualTo(42);
        assertThat(SpiffeId.fromCertificate((X509Certificate) s.getSession().getPeerCertificates()[0])).hasToString(PAYMENTS);
      }
      assertThat(served.get(10, TimeUnit.SECONDS)).isEqualTo(ORDERS);
    }

    // The same certificates, but a client that expects another identity: STRICT refuses (the check is real).
    try (SSLServerSocket listener = (SSLServerSocket) serverSide
        .sslContext(PeerPolicy.fixed("inbound", TlsMode.PERMISSIVE, List.of()))
        .getServerSocketFactory().createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture.runAsync(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          s.startHandshake();
        } catch (Exception expected) {
          // the client aborts
        }
      });
      try (SSLSocket s = (SSLSocket) clientSide.sslContext(PeerPolicy.fixed("inventory", TlsMode.STRICT,
          List.of("spiffe://meshclient.local/ns/shop/sa/inventory"))).getSocketFactory()
          .createSocket(java.net.InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        assertThatThrownBy(s::startHandshake).hasStackTraceContaining("the server presented " + PAYMENTS);
      }
    }
  }

  @Test
  void aTokenForOrdersCannotObtainPayments() throws Exception {
    assertThatThrownBy(() -> sign(channel, "orders-token", csr(p256(), PAYMENTS), 0))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(e.getStatus().getDescription()).startsWith("token for " + ORDERS + " cannot obtain " + PAYMENTS);
        });
    assertThat(server.caStatus().issued()).isZero();
  }

  @Test
  void unknownMissingMalformedAndExpiredTokensAreUnauthenticated() throws Exception {
    byte[] request = csr(p256(), null);
    CertificateRequest req = CertificateRequest.newBuilder().setCsr(com.google.protobuf.ByteString.copyFrom(request)).build();
    assertUnauthenticated(() -> CaServerFixture.stub(channel, null).signCertificate(req),
        "missing 'authorization' metadata (expected: 'authorization: Bearer <bootstrap token>')");
    assertUnauthenticated(() -> CaServerFixture.stub(channel, "Basic b3JkZXJzLXRva2Vu").signCertificate(req),
        "'authorization' metadata is not a bearer token (expected: 'Bearer <bootstrap token>')");
    assertUnauthenticated(() -> CaServerFixture.stub(channel, "Bearer").signCertificate(req), "is not a bearer token");
    assertUnauthenticated(() -> CaServerFixture.stub(channel, "orders-token").signCertificate(req), "is not a bearer token");
    assertUnauthenticated(() -> sign(channel, "orders-tokem", request, 0),
        "unknown bootstrap token (expected: a token listed in the server's tokens file)");

    // Just before its expiry the inventory token works; at it, it does not.
    clock.set(inventoryExpiry.minusSeconds(1));
    assertThat(sign(channel, "inventory-token", request, 0).getSpiffeId())
        .isEqualTo("spiffe://meshclient.local/ns/shop/sa/inventory");
    clock.set(inventoryExpiry);
    assertUnauthenticated(() -> sign(channel, "inventory-token", request, 0),
        "the bootstrap token for spiffe://meshclient.local/ns/shop/sa/inventory expired at " + inventoryExpiry);
  }

  private static void assertUnauthenticated(Runnable call, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).contains(message).doesNotContain("orders-tok");
    });
  }

  static Stream<Arguments> badRequests() throws Exception {
    KeyPair good = p256();
    byte[] valid = csr(good, null);
    KeyPair other = p256();
    KeyPair rsa1024 = CaTesting.keys("RSA", 1024);
    KeyPair p384 = CaTesting.keys("EC", "secp384r1");
    KeyPair p521 = CaTesting.keys("EC", "secp521r1");
    return Stream.of(
        Arguments.of("empty", new byte[0], "csr: empty (expected: a DER-encoded PKCS#10 certificate signing request)"),
        Arguments.of("garbage", "hello, I am not DER".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            "csr: not a DER PKCS#10 certificate signing request"),
        Arguments.of("truncated", Arrays.copyOf(valid, valid.length / 2), "csr: not a DER PKCS#10 certificate signing request"),
        Arguments.of("trailing bytes", Arrays.copyOf(valid, valid.length + 3), "csr: not a DER PKCS#10 certificate signing request"),
        Arguments.of("signed by another key", csr(good.getPublic(), other.getPrivate(), null, false),
            "csr: bad signature: the request is not signed by the key it carries"),
        Arguments.of("RSA 1024", csr(rsa1024, null), "csr: RSA key of 1024 bits is too weak (expected: ECDSA P-256, or RSA >= 2048 bits)"),
        Arguments.of("P-384", csr(p384, null), "csr: EC key on curve P-384 (secp384r1) (expected: ECDSA P-256, or RSA >= 2048 bits)"),
        Arguments.of("P-521", csr(p521, null), "csr: EC key on curve P-521 (secp521r1)"),
        Arguments.of("CA:true", csr(good.getPublic(), good.getPrivate(), null, true),
            "csr: asks for a CA certificate (BasicConstraints cA=true)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void malformedWeakOrForgedCsrsAreInvalidArguments(String name, byte[] request, String message) {
    assertThatThrownBy(() -> sign(channel, "orders-token", request, 0))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith(message);
        });
  }

  @Test
  void aNegativeTtlIsAnInvalidArgument() {
    assertThatThrownBy(() -> sign(channel, "orders-token", csr(p256(), null), -5))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("ttl_seconds: must not be negative, got -5");
        });
  }

  @Test
  void aServerWithoutCaAnswersFailedPrecondition() throws Exception {
    try (ConfigServer plain = Fixture.server(Files.createDirectories(tmp.resolve("p2"))).build().start()) {
      ManagedChannel ch = CaServerFixture.channel(plain);
      try {
        assertThatThrownBy(() -> sign(ch, "orders-token", csr(p256(), null), 0))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).startsWith("this server runs no CA");
            });
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void requestsFromOnePeerAreRateLimited() throws Exception {
    try (ConfigServer limited = Fixture.server(Files.createDirectories(tmp.resolve("p3")))
        .certificateAuthority(server.certificateAuthority()).tokens(tmp.resolve("tokens.yaml"))
        .signLimit(0.001, 2).build().start()) {
      ManagedChannel ch = CaServerFixture.channel(limited);
      try {
        byte[] request = csr(p256(), null);
        sign(ch, "orders-token", request, 0);
        assertThatThrownBy(() -> sign(ch, "no-such-token", request, 0)).hasMessageContaining("UNAUTHENTICATED");
        assertThatThrownBy(() -> sign(ch, "orders-token", request, 0))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription()).startsWith("too many certificate requests from 127.0.0.1");
            });
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
