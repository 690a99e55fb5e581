package io.meshclient.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A contract no one here wrote, through the mesh channel with its generated stubs unchanged:
 * grpc-java's {@code grpc.testing.SimpleService} from {@code grpc-testing-proto}, all four kinds of
 * method. (The interop {@code TestService} is not in the artifacts served here; SimpleService is
 * the grpc-java test contract that is, and it covers the same four call shapes.)
 */
class ForeignContractTest {

  @RegisterExtension final GrpcResources grpc = new GrpcResources();

  private Backend a;
  private Backend b;
  private ManagedChannel channel;

  @BeforeEach
  void setUp() {
    a = grpc.backend("a");
    b = grpc.backend("b");
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(3)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                ServicePolicy.builder("simple")
                    .endpoint(a.spec())
                    .endpoint(b.spec())
                    .loadBalancer(LbAlgorithm.P2C_EWMA)
                    .build())
            .build());
    channel = grpc.register(MeshGrpc.channel(mesh, "simple"));
  }

  private static SimpleRequest req(String s) {
    return SimpleRequest.newBuilder().setRequestMessage(s).build();
  }

  @Test
  void unary() {
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
    for (int i = 0; i < 20; i++) {
      assertThat(stub.unaryRpc(req("u" + i)).getResponseMessage()).endsWith(":u" + i);
    }
    assertThat(a.served.get() + b.served.get()).isEqualTo(20);
  }

  @Test
  void serverStreaming() {
    Iterator<SimpleResponse> it =
        SimpleServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .serverStreamingRpc(req("5"));
    List<String> got = new ArrayList<>();
    it.forEachRemaining(r -> got.add(r.getResponseMessage().substring(2)));
    assertThat(got).containsExactly("0", "1", "2", "3", "4");
  }

  @Test
  void clientStreaming() throws Exception {
    CompletableFuture<String> result = new CompletableFuture<>();
    StreamObserver<SimpleRequest> out =
        SimpleServiceGrpc.newStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .clientStreamingRpc(collectOne(result));
    for (String s : List.of("x", "y", "z")) {
      out.onNext(req(s));
    }
    out.onCompleted();
    assertThat(result.get(5, TimeUnit.SECONDS)).endsWith(":xyz");
  }

  @Test
  void bidiStreaming() throws Exception {
    List<String> echoes = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<SimpleRequest> out =
        SimpleServiceGrpc.newStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .bidiStreamingRpc(
                new StreamObserver<>() {
                  @Override
                  public void onNext(SimpleResponse r) {
                    synchronized (echoes) {
                      echoes.add(r.getResponseMessage().substring(2));
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(null);
                  }
                });
    for (int i = 0; i < 10; i++) {
      out.onNext(req(Integer.toString(i)));
    }
    out.onCompleted();
    done.get(5, TimeUnit.SECONDS);
    assertThat(echoes).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  }

  private static StreamObserver<SimpleResponse> collectOne(CompletableFuture<String> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(SimpleResponse r) {
        result.complete(r.getResponseMessage());
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete("(no message)");
      }
    };
  }
}
