package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshclient.grpc.MeshGrpc;
import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.CompositeGrpcChannelFactory;
import org.springframework.grpc.client.GrpcChannelFactory;

/** Against real gRPC servers (Netty on loopback): one healthy, one answering UNAVAILABLE. */
class MeshGrpcAutoConfigurationTest {

  private Server good;
  private Server bad;
  private final AtomicInteger goodCalls = new AtomicInteger();
  private final AtomicInteger badCalls = new AtomicInteger();

  private ApplicationContextRunner runner;

  static final class Answering extends SimpleServiceGrpc.SimpleServiceImplBase {
    private final AtomicInteger calls;
    private final boolean fail;

    Answering(AtomicInteger calls, boolean fail) {
      this.calls = calls;
      this.fail = fail;
    }

    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
      calls.incrementAndGet();
      if (fail) {
        response.onError(Status.UNAVAILABLE.asRuntimeException());
        return;
      }
      response.onNext(
          SimpleResponse.newBuilder().setResponseMessage("hi " + request.getRequestMessage()).build());
      response.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    good =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(new Answering(goodCalls, false))
            .build()
            .start();
    bad =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(new Answering(badCalls, true))
            .build()
            .start();
    MeshPolicy policy =
        MeshPolicy.builder()
            .version("g1")
            .service(
                ServicePolicy.builder("echo")
                    .retry(RetryPolicy.builder().maxAttempts(2).retryOn("UNAVAILABLE").build())
                    // UnaryRpc is not declared idempotent: the route says it may be re-sent.
                    .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
                    .endpoint(EndpointSpec.of("127.0.0.1:" + good.getPort()))
                    .endpoint(EndpointSpec.of("127.0.0.1:" + bad.getPort()))
                    .build())
            .build();
    runner =
        new ApplicationContextRunner()
            .withConfiguration(
                AutoConfigurations.of(MeshAutoConfiguration.class, MeshGrpcAutoConfiguration.class))
            .withBean(MeshPolicy.class, () -> policy);
  }

  @AfterEach
  void stop() {
    good.shutdownNow();
    bad.shutdownNow();
  }

  static class UsesEcho {
    @MeshGrpcClient("echo")
    SimpleServiceGrpc.SimpleServiceBlockingStub echo;
  }

  static class WrongType {
    @MeshGrpcClient("echo")
    String notAStub;
  }

  private static SimpleRequest hello(int i) {
    return SimpleRequest.newBuilder().setRequestMessage("n" + i).build();
  }

  @Test
  void annotatedFieldGetsAStubOverTheMeshChannelAndRetriesGoToTheOtherServer() {
    runner
        .withBean(UsesEcho.class)
        .run(
            ctx -> {
              SimpleServiceGrpc.SimpleServiceBlockingStub echo = ctx.getBean(UsesEcho.class).echo;
              for (int i = 0; i < 20; i++) {
                assertThat(echo.unaryRpc(hello(i)).getResponseMessage()).isEqualTo("hi n" + i);
              }
              // Every call ended on the healthy server; each UNAVAILABLE was retried there.
              assertThat(goodCalls.get()).isEqualTo(20);
              assertThat(badCalls.get()).isPositive();
              assertThat(ctx.getBean(io.meshclient.Mesh.class).service("echo").stats().retries())
                  .isEqualTo(badCalls.get());
            });
  }

  @Test
  void channelsAreSharedPerServiceAndShutDownWithTheContext() {
    ManagedChannel[] kept = new ManagedChannel[1];
    runner.run(
        ctx -> {
          MeshGrpcChannels channels = ctx.getBean(MeshGrpcChannels.class);
          kept[0] = channels.channel("echo");
          assertThat(channels.channel("echo")).isSameAs(kept[0]);
          assertThat(channels.stub("echo", SimpleServiceGrpc.SimpleServiceFutureStub.class))
              .isNotNull();
        });
    assertThat(kept[0].isShutdown()).isTrue();
  }

  @Test
  void aFieldThatIsNoStubFailsStartupNamingIt() {
    runner
        .withBean(WrongType.class)
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("@MeshGrpcClient(\"echo\") on ")
                    .hasMessageContaining("WrongType.notAStub")
                    .hasMessageContaining("expected: a stub generated by protoc-gen-grpc-java"));
  }

  @Test
  void springGrpcChannelFactoryServesMeshTargets() {
    runner.run(
        ctx -> {
          GrpcChannelFactory factory = ctx.getBean(GrpcChannelFactory.class);
          assertThat(factory.supports("mesh:///echo")).isTrue();
          assertThat(factory.supports("dns:///echo")).isFalse();
          ManagedChannel channel =
              factory.createChannel("mesh:///echo", ChannelBuilderOptions.defaults());
          try {
            assertThat(
                    SimpleServiceGrpc.newBlockingStub(channel)
                        .unaryRpc(hello(1))
                        .getResponseMessage())
                .isEqualTo("hi n1");
          } finally {
            channel.shutdownNow();
          }
          assertThatThrownBy(() -> factory.createChannel("mesh:///a/b", ChannelBuilderOptions.defaults()))
              .hasMessageContaining("expected: mesh:///<service>");
        });
  }

  /** Another factory that claims every target, as Spring gRPC's default ones do. */
  static final class ClaimsEverything implements GrpcChannelFactory {
    @Override
    public boolean supports(String target) {
      return true;
    }

    @Override
    public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
      throw new UnsupportedOperationException("not a mesh target: " + target);
    }
  }

  @Test
  void composedAsSpringGrpcDoesTheMeshFactoryComesFirst() {
    runner
        .withBean(ClaimsEverything.class)
        .run(
            ctx -> {
              // What Spring gRPC's CompositeChannelFactoryAutoConfiguration builds.
              CompositeGrpcChannelFactory composite =
                  new CompositeGrpcChannelFactory(
                      ctx.getBeanProvider(GrpcChannelFactory.class).orderedStream().toList());
              ManagedChannel channel =
                  composite.createChannel("mesh:///echo", ChannelBuilderOptions.defaults());
              try {
                assertThat(
                        SimpleServiceGrpc.newBlockingStub(channel)
                            .unaryRpc(hello(2))
                            .getResponseMessage())
                    .isEqualTo("hi n2");
              } finally {
                channel.shutdownNow();
              }
              assertThatThrownBy(
                      () -> composite.createChannel("dns:///x", ChannelBuilderOptions.defaults()))
                  .hasMessageContaining("not a mesh target");
            });
  }

  @Test
  void noChannelFactoryWithoutSpringGrpc() {
    runner
        .withClassLoader(new FilteredClassLoader(GrpcChannelFactory.class))
        .run(
            ctx ->
                assertThat(ctx)
                    .hasSingleBean(MeshGrpcChannels.class)
                    .doesNotHaveBean(MeshGrpcChannelFactory.class));
  }

  @Test
  void nothingWithoutTheGrpcAdapter() {
    runner
        .withClassLoader(new FilteredClassLoader(MeshGrpc.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshGrpcChannels.class));
  }

  @Test
  void customizersApplyToEveryChannel() {
    AtomicInteger customized = new AtomicInteger();
    runner
        .withBean(MeshGrpcBuilderCustomizer.class, () -> b -> customized.incrementAndGet())
        .run(
            ctx -> {
              ctx.getBean(MeshGrpcChannels.class).channel("echo");
              assertThat(customized).hasValue(1);
            });
  }
}
