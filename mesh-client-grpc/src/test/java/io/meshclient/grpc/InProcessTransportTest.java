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
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Another transport plugs in: the mesh channel over grpc's in-process transport. */
class InProcessTransportTest {

  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow();
      assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
    if (server != null) {
      server.shutdownNow();
      assertThat(server.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void meshChannelOverInProcessTransport() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new SimpleServiceGrpc.SimpleServiceImplBase() {
                  @Override
                  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
                    out.onNext(
                        SimpleResponse.newBuilder()
                            .setResponseMessage("in-process:" + request.getRequestMessage())
                            .build());
                    out.onCompleted();
                  }
                })
            .build()
            .start();
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(5)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                ServicePolicy.builder("local").endpoint(EndpointSpec.of("in-process:1")).build())
            .build());
    channel =
        MeshGrpc.builder(mesh, "local")
            .transport(InProcessChannelBuilder::forTarget)
            .addresses(InProcessSocketAddress.class, e -> new InProcessSocketAddress(name))
            .build();
    assertThat(
            SimpleServiceGrpc.newBlockingStub(channel)
                .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("hi").build())
                .getResponseMessage())
        .isEqualTo("in-process:hi");
  }
}
