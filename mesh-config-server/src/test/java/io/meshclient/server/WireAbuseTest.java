package io.meshclient.server;

import static io.meshclient.server.Fixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import io.meshclient.config.v1.Node;
import io.meshclient.config.v1.Registration;
import io.meshclient.server.Fixture.RecordingSink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input on the wire gets a clear status, and the server keeps serving everyone else. */
class WireAbuseTest {

  @TempDir Path policies;
  private ConfigServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    server = Fixture.server(policies).requestLimit(20, 20).build().start();
    channel = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  /** A raw stream: what came back and how it ended. */
  private static final class Raw implements StreamObserver<DiscoveryResponse> {
    final List<DiscoveryResponse> responses = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();

    @Override
    public void onNext(DiscoveryResponse value) {
      responses.add(value);
    }

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }
  }

  private Status endOf(Raw raw) throws Exception {
    return raw.end.get(20, TimeUnit.SECONDS);
  }

  private void assertServerStillServes() {
    RecordingSink sink = new RecordingSink();
    try (MeshConfigWatcher w = Fixture.watcher(server, "good-" + System.nanoTime(), sink, "orders").build().start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.applied == 1);
      assertThat(w.connected()).isTrue();
    }
  }

  @Test
  void aStreamThatDoesNotSayWhoItIsIsRefused() throws Exception {
    Raw raw = new Raw();
    StreamObserver<DiscoveryRequest> req = MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(raw);
    req.onNext(DiscoveryRequest.newBuilder().addResourceNames("orders").build());
    Status s = endOf(raw);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("unknown node").contains("node.id");
    assertThat(raw.responses).isEmpty();
    assertServerStillServes();
  }

  @Test
  void aNodeThatChangesIdentityOrSendsNonsenseIsRefused() throws Exception {
    Raw raw = new Raw();
    StreamObserver<DiscoveryRequest> req = MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(raw);
    req.onNext(DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId("n1")).addResourceNames("orders").build());
    await().atMost(Duration.ofSeconds(20)).until(() -> raw.responses.size() == 1);
    req.onNext(DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId("n2")).build());
    Status s = endOf(raw);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("node.id changed on an open stream, from 'n1' to 'n2'");

    Raw reg = new Raw();
    MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(reg).onNext(DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder().setId("n3").setService("orders"))
        .setRegistration(Registration.newBuilder().setAddress("not an address")).build());
    assertThat(endOf(reg).getDescription()).contains("registration.address: not host:port, got 'not an address'");

    // What the engine would refuse is refused here, so no client ever NACKs a registration.
    Raw port = new Raw();
    MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(port).onNext(DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder().setId("n5").setService("orders"))
        .setRegistration(Registration.newBuilder().setAddress("10.0.0.1:99999").setWeight(0)).build());
    Status portStatus = endOf(port);
    System.out.println("bad registration -> " + portStatus);
    assertThat(portStatus.getDescription()).startsWith("invalid registration: registration.")
        .contains("registration.weight: must be in [1, 10000], got 0");

    Raw names = new Raw();
    MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(names).onNext(DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder().setId("n4")).addResourceNames("x".repeat(300)).build());
    assertThat(endOf(names).getDescription()).contains("resource_names: not a service name");
    assertServerStillServes();
  }

  @Test
  void aFloodFromOneClientClosesThatStreamOnly() throws Exception {
    Raw raw = new Raw();
    StreamObserver<DiscoveryRequest> req = MeshDiscoveryServiceGrpc.newStub(channel).streamPolicies(raw);
    req.onNext(DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId("flood")).addResourceNames("orders").build());
    for (int i = 0; i < 500 && !raw.end.isDone(); i++) {
      req.onNext(DiscoveryRequest.newBuilder().setResponseNonce("1").setVersionInfo("x").build());
    }
    Status s = endOf(raw);
    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getDescription()).contains("too many requests on one stream (limit: 20/s");
    assertServerStillServes();
  }

  @Test
  void garbageBytesGetAnErrorStatusAndTheServerStaysUp() throws Exception {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(MeshDiscoveryServiceGrpc.getStreamPoliciesMethod().getFullMethodName())
        .setRequestMarshaller(new Bytes())
        .setResponseMarshaller(new Bytes())
        .build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT);
    CompletableFuture<Status> end = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        end.complete(status);
      }
    }, new Metadata());
    call.request(1);
    byte[] garbage = new byte[512];
    new Random(1).nextBytes(garbage);
    garbage[0] = (byte) 0xff; // an invalid tag for sure
    call.sendMessage(garbage);
    Status s = end.get(20, TimeUnit.SECONDS);
    System.out.println("garbage -> " + s);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).startsWith("not a meshclient.v1.DiscoveryRequest: ");
    assertServerStillServes();
  }

  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
