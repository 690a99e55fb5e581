package io.meshclient.config;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.v1.CertificateRequest;
import io.meshclient.config.v1.CertificateResponse;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import io.meshclient.testing.TestCa;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.jspecify.annotations.Nullable;

/**
 * A small config server for tests, served by real Netty on loopback. {@code SignCertificate} really
 * signs CSRs with a {@link TestCa}, authenticates bootstrap tokens and checks the requested SPIFFE
 * ID as the real CA does, and can be scripted to answer otherwise ({@link #enqueue}). {@code
 * StreamPolicies} records what clients send and sends what the test {@link #push pushes}.
 */
final class TestConfigServer extends MeshDiscoveryServiceGrpc.MeshDiscoveryServiceImplBase
    implements AutoCloseable {

  static final Duration BACKDATE = Duration.ofSeconds(60);
  private static final Context.Key<String> AUTHORIZATION_KEY = Context.key("authorization");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final AtomicLong SERIALS = new AtomicLong(50_000);

  /** A CSR as the server saw it, with the {@code authorization} header it came with. */
  record Received(@Nullable String authorization, CertificateRequest request, PublicKey key,
      @Nullable String requestedId) {}

  /** A scripted answer to one authenticated, well-formed CSR; {@code grantedId} is the token's. */
  interface Answer {
    void answer(Received call, String grantedId, StreamObserver<CertificateResponse> out) throws Exception;
  }

  final TestCa ca;
  final Map<String, String> tokens = new ConcurrentHashMap<>();
  final List<Received> received = new CopyOnWriteArrayList<>();
  final BlockingQueue<DiscoveryRequest> streamRequests = new LinkedBlockingQueue<>();
  /** The client certificate (leaf) of each stream, in order; only with {@link #startMtls}. */
  final List<X509Certificate> streamClients = new CopyOnWriteArrayList<>();
  /** The client address of each of those streams, in order (one per connection). */
  final List<String> streamPeers = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Answer> script = new ConcurrentLinkedQueue<>();
  private final Supplier<Instant> now;
  /** When set, every authenticated CSR fails with it. */
  volatile @Nullable Status outage;
  private volatile @Nullable StreamObserver<DiscoveryResponse> stream;
  private @Nullable Server server;

  TestConfigServer(TestCa ca, Supplier<Instant> now) {
    this.ca = ca;
    this.now = now;
  }

  /** Serves in plaintext on a loopback port. */
  TestConfigServer start() throws IOException {
    return start(InsecureServerCredentials.create());
  }

  /** Serves with TLS, presenting a certificate from {@link #ca} for localhost and 127.0.0.1. */
  TestConfigServer startTls() throws Exception {
    return start(TlsServerCredentials.newBuilder().keyManager(serverKeyManager()).build());
  }

  /**
   * Serves like {@link #startTls}, requiring a client certificate that chains to {@code clientRoot}
   * and, like the config server with {@code requireIdentity}, issuing no TLS session tickets (the
   * JDK issues none when the session timeout exceeds their 7-day limit): a resumed session would
   * carry the client certificate of an earlier connection.
   */
  TestConfigServer startMtls(X509Certificate clientRoot) throws Exception {
    return start(io.grpc.netty.shaded.io.grpc.netty.NettySslContextServerCredentials.create(
        io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
            io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(serverKeyManager()),
            io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider.JDK)
        .trustManager(io.meshclient.config.internal.Certificates.trustManager(List.of(clientRoot)))
        .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE)
        .sessionTimeout(8 * 24 * 3600)
        .build()));
  }

  private TestConfigServer start(ServerCredentials credentials) throws IOException {
    ServerInterceptor captureToken = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        javax.net.ssl.SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (ssl != null && call.getMethodDescriptor().getFullMethodName()
            .equals(MeshDiscoveryServiceGrpc.getStreamPoliciesMethod().getFullMethodName())) {
          try {
            streamClients.add((X509Certificate) ssl.getPeerCertificates()[0]);
            streamPeers.add(String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
          } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            // server-only TLS: no client certificate to record
          }
        }
        String auth = headers.get(AUTHORIZATION);
        Context ctx = Context.current().withValue(AUTHORIZATION_KEY, auth == null ? "" : auth);
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
    server = Grpc.newServerBuilderForPort(0, credentials)
        .addService(ServerInterceptors.intercept(this, captureToken))
        .build()
        .start();
    return this;
  }

  int port() {
    return java.util.Objects.requireNonNull(server).getPort();
  }

  String target() {
    return "localhost:" + port();
  }

  /** The next authenticated CSRs get these answers, in order; then signing resumes. */
  TestConfigServer enqueue(Answer... answers) {
    script.addAll(List.of(answers));
    return this;
  }

  static Answer fail(Status status) {
    return (call, id, out) -> out.onError(status.asRuntimeException());
  }

  /** Never answers (the client's deadline or close ends the call). */
  static Answer silence() {
    return (call, id, out) -> {};
  }

  /** A certificate for {@code key} naming {@code id}, signed by {@code signer}, sent with {@code bundle}. */
  static Answer issue(TestCa signer, List<X509Certificate> bundle, @Nullable PublicKey key, @Nullable String id,
      Instant notBefore, Instant notAfter) {
    return (call, granted, out) -> {
      X509Certificate cert = sign(signer, key == null ? call.key() : key, id == null ? granted : id, notBefore, notAfter);
      out.onNext(response(List.of(cert), bundle, id == null ? granted : id));
      out.onCompleted();
    };
  }

  static CertificateResponse response(List<X509Certificate> chain, List<X509Certificate> bundle, String id)
      throws Exception {
    CertificateResponse.Builder b = CertificateResponse.newBuilder().setSpiffeId(id);
    for (X509Certificate c : chain) {
      b.addCertificateChain(ByteString.copyFrom(c.getEncoded()));
    }
    for (X509Certificate c : bundle) {
      b.addTrustBundle(ByteString.copyFrom(c.getEncoded()));
    }
    return b.build();
  }

  @Override
  public void signCertificate(CertificateRequest request, StreamObserver<CertificateResponse> out) {
    try {
      String auth = AUTHORIZATION_KEY.get();
      JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(request.getCsr().toByteArray());
      PublicKey key = KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded()));
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("bad CSR signature").asRuntimeException());
        return;
      }
      Received call = new Received(auth.isEmpty() ? null : auth, request, key, requestedId(csr));
      received.add(call);
      String granted = auth.startsWith("Bearer ") ? tokens.get(auth.substring("Bearer ".length())) : null;
      if (granted == null) {
        out.onError(Status.UNAUTHENTICATED.withDescription("unknown bootstrap token").asRuntimeException());
        return;
      }
      if (call.requestedId() != null && !call.requestedId().equals(granted)) {
        out.onError(Status.PERMISSION_DENIED.withDescription("the token grants " + granted + ", not "
            + call.requestedId()).asRuntimeException());
        return;
      }
      Status down = outage;
      if (down != null) {
        out.onError(down.asRuntimeException());
        return;
      }
      Answer scripted = script.poll();
      if (scripted != null) {
        scripted.answer(call, granted, out);
        return;
      }
      Instant from = now.get().truncatedTo(ChronoUnit.SECONDS);
      Duration ttl = request.getTtlSeconds() > 0 ? Duration.ofSeconds(request.getTtlSeconds()) : Duration.ofHours(1);
      X509Certificate cert = sign(ca, call.key(), granted, from.minus(BACKDATE), from.plus(ttl));
      out.onNext(response(List.of(cert), List.of(ca.certificate), granted));
      out.onCompleted();
    } catch (Exception e) {
      out.onError(Status.INTERNAL.withDescription("test CA: " + e).withCause(e).asRuntimeException());
    }
  }

  private static @Nullable String requestedId(JcaPKCS10CertificationRequest csr) {
    Attribute[] attrs = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
    if (attrs.length == 0) {
      return null;
    }
    ASN1Encodable value = attrs[0].getAttrValues().getObjectAt(0);
    GeneralNames names = GeneralNames.fromExtensions(Extensions.getInstance(value), Extension.subjectAlternativeName);
    if (names == null) {
      return null;
    }
    for (GeneralName n : names.getNames()) {
      if (n.getTagNo() == GeneralName.uniformResourceIdentifier) {
        return n.getName().toString();
      }
    }
    return null;
  }

  /** A workload certificate (URI SAN {@code id}) for {@code key}, signed by {@code signer}. */
  static X509Certificate sign(TestCa signer, PublicKey key, String id, Instant notBefore, Instant notAfter)
      throws Exception {
    X509v3CertificateBuilder b = builder(signer, key, notBefore, notAfter);
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    b.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id)));
    return signed(b, signer);
  }

  private javax.net.ssl.KeyManager serverKeyManager() throws Exception {
    KeyPair keys = TestCa.ecKeys();
    Instant t = Instant.now();
    X509v3CertificateBuilder b = builder(ca, keys.getPublic(), t.minus(BACKDATE), t.plus(Duration.ofHours(1)));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())}));
    X509Certificate cert = signed(b, ca);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "test".toCharArray();
    store.setKeyEntry("server", keys.getPrivate(), password, new X509Certificate[] {cert, ca.certificate});
    KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    f.init(store, password);
    return f.getKeyManagers()[0];
  }

  private static X509v3CertificateBuilder builder(TestCa signer, PublicKey key, Instant notBefore, Instant notAfter)
      throws Exception {
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(signer.certificate,
        BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
        new X500Name("O=meshclient-test"), key);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    return b;
  }

  private static X509Certificate signed(X509v3CertificateBuilder b, TestCa signer) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.keys.getPrivate())));
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamPolicies(StreamObserver<DiscoveryResponse> responses) {
    stream = responses;
    return new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryRequest value) {
        streamRequests.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  /** Sends {@code response} on the latest stream. */
  void push(DiscoveryResponse response) {
    StreamObserver<DiscoveryResponse> s = java.util.Objects.requireNonNull(stream, "no client stream yet");
    synchronized (s) {
      s.onNext(response);
    }
  }

  /** The next request a client sent on a stream (waits up to 20 s). */
  DiscoveryRequest nextStreamRequest() throws InterruptedException {
    DiscoveryRequest r = streamRequests.poll(20, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no stream request within 20 s");
    }
    return r;
  }

  /** The CSRs received so far, in order. */
  List<Received> received() {
    return new ArrayList<>(received);
  }

  @Override
  public void close() {
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
