package io.meshclient.jmh.tls;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.grpc.MeshGrpc;
import io.meshclient.grpc.MeshGrpcServer;
import io.meshclient.http.MeshHttp;
import io.meshclient.jmh.grpc.GrpcClientBenchmark.Echo;
import io.meshclient.http.testing.MtlsHttpServer;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What mutual TLS adds, through the mesh clients, with {@code tls} as the only difference between
 * the two {@code mode}s (DISABLE = plaintext, STRICT = mTLS with SPIFFE peer checks, real ECDSA
 * P-256 certificates):
 *
 * <ul>
 *   <li>{@code httpNewConnection}: a GET on a new connection (the pool is emptied after each call),
 *       so the TCP connect and, under STRICT, the full TLS 1.3 handshake with both certificates
 *       checked (session resumption is off in the mesh, by design);
 *   <li>{@code httpEstablished} and {@code grpcEstablished}: a call on an established connection,
 *       the per-request cost of encryption;
 *   <li>{@code grpcNewChannel}: a new mesh channel, its first call (connect + handshake) and its
 *       shutdown.
 * </ul>
 *
 * Run with {@code -prof gc}; the servers are on loopback in the same JVM, so the time includes
 * both ends of each handshake.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MtlsBenchmark {

  private static final String TRUST_DOMAIN = "spiffe://bench.local/ns/bench/sa/";

  @Param({"DISABLE", "STRICT"})
  public TlsMode mode;

  private Mesh mesh;
  private MeshCredentials client;
  private MtlsHttpServer httpServer;
  private Server grpcServer;
  private OkHttpClient http;
  private ManagedChannel channel;
  private SimpleServiceGrpc.SimpleServiceBlockingStub grpc;
  private final Request get = new Request.Builder().url("http://orders/items/42").build();
  private final SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("hi").build();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    TestCa ca = new TestCa("bench-ca");
    MeshCredentials server =
        MeshCredentials.create(ca.issue(TRUST_DOMAIN + "orders"), List.of(ca.certificate), r -> {});
    client = MeshCredentials.create(ca.issue(TRUST_DOMAIN + "web"), List.of(ca.certificate), r -> {});
    PeerPolicy inbound = PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(TRUST_DOMAIN + "web"));

    httpServer = new MtlsHttpServer("orders", server.serverSslContext(inbound), true);
    NettyServerBuilder b =
        mode == TlsMode.STRICT
            ? NettyServerBuilder.forAddress(
                new InetSocketAddress("127.0.0.1", 0), MeshGrpcServer.credentials(server, inbound))
            : NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
    grpcServer = b.directExecutor().addService(new Echo()).build().start();

    mesh = Mesh.builder().build();
    mesh.update(
        MeshPolicy.builder()
            .version("bench")
            .service(service("orders", httpServer.port()))
            .service(service("echo", grpcServer.getPort()))
            .build());
    http = MeshHttp.builder(mesh).credentials(client).client();
    channel = MeshGrpc.builder(mesh, "echo").credentials(client).build();
    grpc = SimpleServiceGrpc.newBlockingStub(channel);
    httpEstablished(); // connect before measuring
    grpcEstablished();
  }

  private ServicePolicy service(String name, int port) {
    return ServicePolicy.builder(name)
        .endpoint(EndpointSpec.of("127.0.0.1:" + port))
        .tls(mode)
        .identities(List.of(TRUST_DOMAIN + "orders"))
        .build();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    httpServer.close();
  }

  private long get() throws IOException {
    try (Response response = http.newCall(get).execute()) {
      return response.body().source().readByteString().size() + response.code();
    }
  }

  @Benchmark
  public long httpEstablished() throws IOException {
    return get();
  }

  @Benchmark
  public long httpNewConnection() throws IOException {
    long n = get();
    http.connectionPool().evictAll();
    return n;
  }

  @Benchmark
  public SimpleResponse grpcEstablished() {
    return grpc.unaryRpc(request);
  }

  @Benchmark
  public SimpleResponse grpcNewChannel() throws InterruptedException {
    ManagedChannel fresh = MeshGrpc.builder(mesh, "echo").credentials(client).build();
    try {
      return SimpleServiceGrpc.newBlockingStub(fresh).unaryRpc(request);
    } finally {
      fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
