package io.meshclient.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a unary call through a mesh channel allocates beyond the same call through a bare channel:
 * in-process transport and direct executors, so everything runs on the measuring thread. Guards
 * the figure in docs/grpc.md against the mesh channel's layers (the choice of plaintext or mTLS
 * channel per call included) growing it.
 */
class CallAllocationTest {

  /**
   * The mesh channel's extra per call on this test classpath, measured before the plaintext/mTLS
   * channel layer was added (commit 10a2430: mesh 4 280 B, bare 4 136 B) and after it (4 232 B,
   * 4 088 B): the layer adds nothing. The JMH figure in docs/grpc.md is 96 B; this classpath also
   * carries the optional opentelemetry-grpc-1.6, whose gRPC Context bridge costs every Context
   * capture (the mesh call keeps the caller's) a little more.
   */
  private static final long EXTRA = 144;

  private static final int CALLS = 20_000;

  private Server server;
  private ManagedChannel bareChannel;
  private ManagedChannel meshChannel;

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : new ManagedChannel[] {meshChannel, bareChannel}) {
      if (c != null) {
        c.shutdownNow();
        assertThat(c.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      }
    }
    if (server != null) {
      server.shutdownNow();
      assertThat(server.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aMeshCallAllocatesOnlyItsWrapperBeyondABareCall() throws Exception {
    SimpleResponse response = SimpleResponse.newBuilder().setResponseMessage("ok").build();
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new SimpleServiceGrpc.SimpleServiceImplBase() {
                  @Override
                  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
                    out.onNext(response);
                    out.onCompleted();
                  }
                })
            .build()
            .start();
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(1)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                ServicePolicy.builder("echo")
                    .endpoint(EndpointSpec.of("in-process:1"))
                    .loadBalancer(LbAlgorithm.ROUND_ROBIN)
                    .build())
            .build());
    bareChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
    meshChannel =
        MeshGrpc.builder(mesh, "echo")
            .transport(t -> InProcessChannelBuilder.forTarget(t).directExecutor())
            .addresses(InProcessSocketAddress.class, e -> new InProcessSocketAddress(name))
            .build();
    SimpleServiceGrpc.SimpleServiceBlockingStub bare = SimpleServiceGrpc.newBlockingStub(bareChannel);
    SimpleServiceGrpc.SimpleServiceBlockingStub viaMesh =
        SimpleServiceGrpc.newBlockingStub(meshChannel);
    SimpleRequest request = SimpleRequest.newBuilder().setRequestMessage("hi").build();

    long bareBytes = 0;
    long meshBytes = 0;
    for (int round = 0; round < 3; round++) { // the last round counts: warm by then
      bareBytes = perCall(() -> bare.unaryRpc(request));
      meshBytes = perCall(() -> viaMesh.unaryRpc(request));
    }
    assertThat(meshBytes - bareBytes)
        .as("mesh %d B/call, bare %d B/call", meshBytes, bareBytes)
        .isLessThanOrEqualTo(EXTRA + 8); // the counter's granularity
  }

  private static long perCall(Runnable call) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < CALLS; i++) {
      call.run();
    }
    return (threads.getThreadAllocatedBytes(tid) - before) / CALLS;
  }
}
