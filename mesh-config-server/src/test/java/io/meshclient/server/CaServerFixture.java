package io.meshclient.server;

import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.v1.CertificateRequest;
import io.meshclient.config.v1.CertificateResponse;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import io.meshclient.config.v1.Node;
import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.ca.internal.BootstrapTokens;
import io.meshclient.tls.WorkloadIdentity;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/** Test parts for the CA over the wire: a channel, SignCertificate calls, a raw subscribed stream. */
final class CaServerFixture {

  static final String ORDERS = "spiffe://meshclient.local/ns/shop/sa/orders";
  static final String PAYMENTS = "spiffe://meshclient.local/ns/shop/sa/payments";

  private CaServerFixture() {}

  /** The tokens file of these tests: orders (hashed), payments (plain), inventory (expires at {@code expiry}). */
  static String tokens(String expiry) {
    return """
        - namespace: shop
          service: orders
          sha256: %s
        - {namespace: shop, service: payments, token: payments-token}
        - {namespace: shop, service: inventory, token: inventory-token, expires: %s}
        """.formatted(HexFormat.of().formatHex(BootstrapTokens.sha256("orders-token")), expiry);
  }

  static ManagedChannel channel(ConfigServer server) {
    return Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create()).build();
  }

  /** A stub sending {@code authorization} as given (none when null). */
  static MeshDiscoveryServiceGrpc.MeshDiscoveryServiceBlockingStub stub(ManagedChannel ch, @Nullable String authorization) {
    Metadata md = new Metadata();
    if (authorization != null) {
      md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    }
    ClientInterceptor headers = MetadataUtils.newAttachHeadersInterceptor(md);
    return MeshDiscoveryServiceGrpc.newBlockingStub(ch).withInterceptors(headers);
  }

  static CertificateResponse sign(ManagedChannel ch, String token, byte[] csr, long ttlSeconds) {
    return stub(ch, "Bearer " + token).signCertificate(CertificateRequest.newBuilder()
        .setCsr(com.google.protobuf.ByteString.copyFrom(csr)).setTtlSeconds(ttlSeconds).build());
  }

  /** A fresh P-256 key, a CSR for {@code uri}, signed over the wire: the workload's identity. */
  static WorkloadIdentity identity(ManagedChannel ch, String token, String uri) throws Exception {
    KeyPair keys = CaTesting.p256();
    CertificateResponse r = sign(ch, token, CaTesting.csr(keys, uri), 0);
    return WorkloadIdentity.of(keys.getPrivate(), List.of(CaTesting.certificate(r.getCertificateChain(0).toByteArray())));
  }

  static List<X509Certificate> certificates(List<com.google.protobuf.ByteString> der) throws Exception {
    List<X509Certificate> out = new ArrayList<>();
    for (com.google.protobuf.ByteString b : der) {
      out.add(CaTesting.certificate(b.toByteArray()));
    }
    return out;
  }

  /** A raw config stream subscribed to orders: every response it receives, in order. */
  static final class Stream implements StreamObserver<DiscoveryResponse> {
    final List<DiscoveryResponse> responses = new CopyOnWriteArrayList<>();
    final CompletableFuture<Throwable> end = new CompletableFuture<>();
    final StreamObserver<DiscoveryRequest> requests;

    Stream(ManagedChannel ch, String nodeId) {
      this(ch, DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId(nodeId).setService("web"))
          .addResourceNames("orders").build());
    }

    /** A stream whose first request is {@code first}. */
    Stream(ManagedChannel ch, DiscoveryRequest first) {
      requests = MeshDiscoveryServiceGrpc.newStub(ch).streamPolicies(this);
      requests.onNext(first);
    }

    DiscoveryResponse last() {
      return responses.get(responses.size() - 1);
    }

    List<X509Certificate> lastBundle() throws Exception {
      return certificates(last().getTrustBundleList());
    }

    @Override
    public void onNext(DiscoveryResponse value) {
      responses.add(value);
      // ACK, as a client does.
      requests.onNext(DiscoveryRequest.newBuilder().setVersionInfo(value.getVersionInfo())
          .setResponseNonce(value.getNonce()).build());
    }

    @Override
    public void onError(Throwable t) {
      end.complete(t);
    }

    @Override
    public void onCompleted() {
      end.complete(null);
    }
  }
}
