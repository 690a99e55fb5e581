package io.meshclient.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.grpc.MeshGrpcServer;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small service speaking HTTP ({@code GET /orders/{id}}) and gRPC ({@code SimpleService/UnaryRpc})
 * on two loopback ports, answering with its instance name. It can be told to misbehave (a share
 * of slow answers, a share of failures), killed abruptly and started again on the same ports.
 */
public final class SampleService implements AutoCloseable {

  static {
    // The JDK's HTTP server otherwise leaves Nagle on: small answers wait for delayed ACKs.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  /** How an instance behaves. */
  public record Behaviour(double slowShare, long slowMillis, double failShare) {
    public static final Behaviour HEALTHY = new Behaviour(0, 0, 0);
  }

  private final String name;
  private final String version;
  private final String zone;
  private volatile Behaviour behaviour;
  private final SplittableRandom random;
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong receivedHttp = new AtomicLong();
  private final AtomicLong receivedGrpc = new AtomicLong();
  private final AtomicLong latencyNanos = new AtomicLong();
  private int httpPort;
  private int grpcPort;
  private HttpServer http;
  private Server grpc;
  private ExecutorService executor;
  private MeshCredentials credentials;
  private PeerPolicy inbound;
  private Duration maxConnectionAge;
  private final Set<BigInteger> callerSerials = ConcurrentHashMap.newKeySet();
  private final AtomicLong mtlsCalls = new AtomicLong();

  public SampleService(String name, String version, String zone, Behaviour behaviour, long seed) {
    this.name = name;
    this.version = version;
    this.zone = zone;
    this.behaviour = behaviour;
    this.random = new SplittableRandom(seed);
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String zone() {
    return zone;
  }

  public int httpPort() {
    return httpPort;
  }

  public int grpcPort() {
    return grpcPort;
  }

  /** Requests answered successfully. */
  public long served() {
    return served.get();
  }

  /** Requests received, both protocols. */
  public long received() {
    return received.get();
  }

  public long receivedHttp() {
    return receivedHttp.get();
  }

  public long receivedGrpc() {
    return receivedGrpc.get();
  }

  /** Total time spent answering, for the mean latency the demo shows. */
  public long latencyNanos() {
    return latencyNanos.get();
  }

  public Behaviour behaviour() {
    return behaviour;
  }

  public boolean running() {
    return grpc != null;
  }

  public void behaviour(Behaviour behaviour) {
    this.behaviour = behaviour;
  }

  /**
   * Serves both protocols over mutual TLS only, from the next start: the workload certificate in
   * {@code credentials} (rotated under the running servers), callers checked against {@code
   * inbound}. gRPC connections are closed gracefully after {@code maxConnectionAge}, so that
   * long-lived connections pick up rotated certificates.
   */
  public synchronized SampleService mtls(MeshCredentials credentials, PeerPolicy inbound, Duration maxConnectionAge) {
    this.credentials = credentials;
    this.inbound = inbound;
    this.maxConnectionAge = maxConnectionAge;
    return this;
  }

  /** The serial numbers of the caller certificates seen on mTLS connections. */
  public Set<BigInteger> callerSerials() {
    return callerSerials;
  }

  /** Requests received over mTLS, both protocols. */
  public long mtlsCalls() {
    return mtlsCalls.get();
  }

  /** Starts both servers; on the first start on free ports, later on the same ones. */
  public synchronized SampleService start() throws IOException {
    executor = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, name + "-worker");
      t.setDaemon(true);
      return t;
    });
    InetSocketAddress httpAddress = new InetSocketAddress("127.0.0.1", httpPort);
    if (credentials != null) {
      HttpsServer https = HttpsServer.create(httpAddress, 128);
      // The mesh's server context: TLS 1.3, caller certificate required (STRICT), checked live.
      https.setHttpsConfigurator(new HttpsConfigurator(credentials.serverSslContext(inbound)));
      http = https;
    } else {
      http = HttpServer.create(httpAddress, 128);
    }
    http.setExecutor(executor);
    http.createContext("/", this::handleHttp);
    http.start();
    httpPort = http.getAddress().getPort();
    InetSocketAddress grpcAddress = new InetSocketAddress("127.0.0.1", grpcPort);
    NettyServerBuilder builder =
        credentials == null
            ? NettyServerBuilder.forAddress(grpcAddress)
            : NettyServerBuilder.forAddress(grpcAddress, MeshGrpcServer.credentials(credentials, inbound))
                .maxConnectionAge(maxConnectionAge.toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAgeGrace(5, TimeUnit.SECONDS);
    grpc =
        builder
            .executor(executor)
            .addService(ServerInterceptors.intercept(new Grpc(), new CallerCertificate()))
            .build()
            .start();
    grpcPort = grpc.getPort();
    return this;
  }

  /** Stops abruptly: open connections are cut, in-flight requests fail. */
  public synchronized void kill() {
    if (grpc != null) {
      grpc.shutdownNow();
      http.stop(0);
      try {
        grpc.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Only now: a stream still arriving on a closing connection must not meet a dead executor.
      executor.shutdownNow();
      grpc = null;
      http = null;
    }
  }

  @Override
  public void close() {
    kill();
  }

  /** What to answer: 0 = fine, else an error; waits first when this request is a slow one. */
  private boolean misbehave() {
    received.incrementAndGet();
    long start = System.nanoTime();
    try {
      return misbehaveTimed();
    } finally {
      latencyNanos.addAndGet(System.nanoTime() - start);
    }
  }

  private boolean misbehaveTimed() {
    Behaviour b = behaviour;
    double slow;
    double fail;
    synchronized (random) {
      slow = random.nextDouble();
      fail = random.nextDouble();
    }
    if (slow < b.slowShare() && b.slowMillis() > 0) {
      try {
        Thread.sleep(b.slowMillis()); // the sample's simulated slowness, not a test wait
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return fail < b.failShare();
  }

  private void recordCaller(javax.net.ssl.SSLSession session) {
    if (session == null) {
      return;
    }
    mtlsCalls.incrementAndGet();
    try {
      Certificate[] chain = session.getPeerCertificates();
      callerSerials.add(((X509Certificate) chain[0]).getSerialNumber());
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      // no caller certificate: cannot happen under STRICT
    }
  }

  /** Notes the caller certificate of each gRPC call. */
  private final class CallerCertificate implements ServerInterceptor {
    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      recordCaller(call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_SSL_SESSION));
      return next.startCall(call, headers);
    }
  }

  private void handleHttp(HttpExchange exchange) throws IOException {
    try (exchange) {
      receivedHttp.incrementAndGet();
      if (exchange instanceof HttpsExchange https) {
        recordCaller(https.getSSLSession());
      }
      boolean fail = misbehave();
      byte[] body;
      int status;
      if (fail) {
        status = 503;
        body = ("{\"error\":\"" + name + " is overloaded\"}").getBytes(StandardCharsets.UTF_8);
      } else {
        status = 200;
        body =
            ("{\"instance\":\"" + name + "\",\"version\":\"" + version + "\",\"path\":\""
                    + exchange.getRequestURI().getPath() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        served.incrementAndGet();
      }
      exchange.getResponseHeaders().add("x-served-by", name);
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private final class Grpc extends SimpleServiceGrpc.SimpleServiceImplBase {
    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
      receivedGrpc.incrementAndGet();
      if (misbehave()) {
        observer.onError(
            Status.UNAVAILABLE.withDescription(name + " is overloaded").asRuntimeException());
        return;
      }
      served.incrementAndGet();
      observer.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
      observer.onCompleted();
    }
  }
}
