package io.meshclient.jmh.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.grpc.MeshGrpc;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
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
 * A unary call through a mesh channel against the same call through a bare channel to the same
 * server, in the same run: over Netty on loopback, and over the in-process transport where the
 * transport's own cost is smallest and the adapter's shows most. Run with {@code -prof gc} and
 * compare {@code gc.alloc.rate.norm} of {@code mesh} and {@code bare}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrpcClientBenchmark {

  @Param({"netty", "inprocess"})
  public String transport;

  private Server server;
  private ManagedChannel bareChannel;
  private ManagedChannel meshChannel;
  private SimpleServiceGrpc.SimpleServiceBlockingStub bare;
  private SimpleServiceGrpc.SimpleServiceBlockingStub mesh;
  private final SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("hi").build();

  /** Answers every call with one preallocated response (also used by MtlsBenchmark). */
  public static final class Echo extends SimpleServiceGrpc.SimpleServiceImplBase {
    private final SimpleResponse response =
        SimpleResponse.newBuilder().setResponseMessage("ok").build();

    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
      out.onNext(response);
      out.onCompleted();
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Mesh m = Mesh.builder().build();
    if (transport.equals("netty")) {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .directExecutor()
              .addService(new Echo())
              .build()
              .start();
      int port = server.getPort();
      bareChannel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      m.update(policy("127.0.0.1:" + port));
      meshChannel = MeshGrpc.channel(m, "echo");
    } else {
      String name = InProcessServerBuilder.generateName();
      server =
          InProcessServerBuilder.forName(name)
              .directExecutor()
              .addService(new Echo())
              .build()
              .start();
      bareChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
      m.update(policy("in-process:1"));
      meshChannel =
          MeshGrpc.builder(m, "echo")
              .transport(t -> InProcessChannelBuilder.forTarget(t).directExecutor())
              .addresses(InProcessSocketAddress.class, e -> new InProcessSocketAddress(name))
              .build();
    }
    bare = SimpleServiceGrpc.newBlockingStub(bareChannel);
    mesh = SimpleServiceGrpc.newBlockingStub(meshChannel);
    bare.unaryRpc(request); // connect before measuring
    mesh.unaryRpc(request);
  }

  private static MeshPolicy policy(String address) {
    return MeshPolicy.builder()
        .version("bench")
        .service(
            ServicePolicy.builder("echo")
                .endpoint(EndpointSpec.of(address))
                .loadBalancer(LbAlgorithm.ROUND_ROBIN)
                .build())
        .build();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    meshChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    bareChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Benchmark
  public SimpleResponse bare() {
    return bare.unaryRpc(request);
  }

  @Benchmark
  public SimpleResponse mesh() {
    return mesh.unaryRpc(request);
  }
}
