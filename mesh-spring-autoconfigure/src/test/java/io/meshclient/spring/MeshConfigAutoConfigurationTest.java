package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.Mesh;
import io.meshclient.config.FilePolicySource;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.server.ConfigServer;
import io.meshclient.spring.internal.WatcherRunner;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.MeshDiscoveryServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class MeshConfigAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(MeshAutoConfiguration.class, MeshConfigAutoConfiguration.class));

  static void writeOrders(Path dir, String endpoint) throws Exception {
    Files.writeString(
        dir.resolve("orders.yaml"),
        "service: orders\nendpoints:\n  - {address: \"" + endpoint + "\"}\n");
  }

  @Test
  void staticWithoutASource() {
    runner.run(
        ctx ->
            assertThat(ctx)
                .doesNotHaveBean(WatcherRunner.class)
                .doesNotHaveBean(FilePolicySource.class)
                .getBean(MeshConfigStatus.class)
                .extracting(MeshConfigStatus::state)
                .isEqualTo(MeshConfigStatus.State.STATIC));
  }

  @Test
  void policyDirectoryIsAppliedBeforeTheContextIsReady(@TempDir Path dir) throws Exception {
    writeOrders(dir, "127.0.0.1:9");
    runner
        .withPropertyValues("meshclient.config.policy-directory=" + dir)
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(FilePolicySource.class);
              Mesh mesh = ctx.getBean(Mesh.class);
              assertThat(mesh.knows("orders")).isTrue();
              assertThat(mesh.policy().version()).startsWith("file-");
              MeshConfigStatus status = ctx.getBean(MeshConfigStatus.class);
              assertThat(status.state()).isEqualTo(MeshConfigStatus.State.FILE);
              assertThat(status.source()).isEqualTo("directory " + dir);
              assertThat(status.lastError()).isNull();
            });
  }

  @Test
  void aRejectedFileIsTheLastConfigError(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("orders.yaml"), "service: orders\ntimeout: soon\n");
    runner
        .withPropertyValues("meshclient.config.policy-directory=" + dir)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx.getBean(MeshConfigStatus.class).lastError())
                  .contains("orders.yaml")
                  .contains("timeout");
            });
  }

  @Test
  void serverAddressStartsAWatcherThatAppliesTheServersPolicy(@TempDir Path dir) throws Exception {
    writeOrders(dir, "127.0.0.1:9");
    try (ConfigServer server =
        ConfigServer.builder().policies(dir).port(0).statusPort(-1).build().start()) {
      runner
          .withPropertyValues(
              "meshclient.config.server-address=127.0.0.1:" + server.port(),
              "meshclient.config.plaintext=true",
              "meshclient.config.services=orders",
              "spring.application.name=checkout")
          .run(
              ctx -> {
                Mesh mesh = ctx.getBean(Mesh.class);
                MeshConfigStatus status = ctx.getBean(MeshConfigStatus.class);
                await().atMost(Duration.ofSeconds(20)).until(() -> mesh.knows("orders"));
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> status.state() == MeshConfigStatus.State.CONNECTED);
                MeshConfigWatcher watcher = ctx.getBean(WatcherRunner.class).watcher();
                assertThat(watcher).isNotNull();
                assertThat(watcher.node().service()).isEqualTo("checkout");
                assertThat(status.source()).isEqualTo("server 127.0.0.1:" + server.port());
              });
    }
  }

  @Test
  void aGrpcChannelMadeAtRunTimeAddsItsServiceToTheSubscription(@TempDir Path dir)
      throws Exception {
    writeOrders(dir, "127.0.0.1:9");
    try (ConfigServer server =
        ConfigServer.builder().policies(dir).port(0).statusPort(-1).build().start()) {
      runner
          .withConfiguration(AutoConfigurations.of(MeshGrpcAutoConfiguration.class))
          .withPropertyValues(
              "meshclient.config.server-address=127.0.0.1:" + server.port(),
              "meshclient.config.plaintext=true")
          .run(
              ctx -> {
                Mesh mesh = ctx.getBean(Mesh.class);
                MeshConfigStatus status = ctx.getBean(MeshConfigStatus.class);
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> status.state() == MeshConfigStatus.State.CONNECTED);
                assertThat(mesh.knows("orders")).isFalse(); // not subscribed
                ctx.getBean(MeshGrpcChannels.class).channel("orders");
                await().atMost(Duration.ofSeconds(20)).until(() -> mesh.knows("orders"));
              });
    }
  }

  @Test
  void runsOnTheLastPolicyWhenTheServerIsUnreachable(@TempDir Path dir) throws Exception {
    writeOrders(dir, "127.0.0.1:9");
    Path cache = Files.createDirectory(dir.resolve("cache"));
    Path policies = Files.createDirectory(dir.resolve("policies"));
    writeOrders(policies, "127.0.0.1:9");
    int port;
    try (ConfigServer server =
        ConfigServer.builder().policies(policies).port(0).statusPort(-1).build().start()) {
      port = server.port();
      runner
          .withPropertyValues(
              "meshclient.config.server-address=127.0.0.1:" + port,
              "meshclient.config.plaintext=true",
              "meshclient.config.services=orders",
              "meshclient.config.cache-directory=" + cache)
          .run(
              ctx ->
                  await().atMost(Duration.ofSeconds(20))
                      .until(() -> ctx.getBean(Mesh.class).knows("orders")));
    }
    // The server is gone: a new application starts from the cache.
    runner
        .withPropertyValues(
            "meshclient.config.server-address=127.0.0.1:" + port,
            "meshclient.config.plaintext=true",
            "meshclient.config.services=orders",
            "meshclient.config.cache-directory=" + cache)
        .run(
            ctx -> {
              Mesh mesh = ctx.getBean(Mesh.class);
              await().atMost(Duration.ofSeconds(20)).until(() -> mesh.knows("orders"));
              MeshConfigStatus status = ctx.getBean(MeshConfigStatus.class);
              assertThat(status.state()).isEqualTo(MeshConfigStatus.State.CACHED);
            });
  }

  @Test
  void registrationNeedsAServiceName() {
    runner
        .withPropertyValues(
            "meshclient.config.server-address=127.0.0.1:1",
            "meshclient.registration.enabled=true",
            "meshclient.registration.port=8080")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "meshclient.node.service: (not set, nor spring.application.name)"));
  }

  @Test
  void theTokenIsSentAsABearerCredential() throws Exception {
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    Metadata.Key<String> authorization =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    // A real gRPC server standing in for the config server: it records the caller's credential.
    MeshDiscoveryServiceGrpc.MeshDiscoveryServiceImplBase discovery =
        new MeshDiscoveryServiceGrpc.MeshDiscoveryServiceImplBase() {
          @Override
          public StreamObserver<DiscoveryRequest> streamPolicies(
              StreamObserver<DiscoveryResponse> responses) {
            return new StreamObserver<>() {
              @Override
              public void onNext(DiscoveryRequest value) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                responses.onCompleted();
              }
            };
          }
        };
    ServerInterceptor recorder =
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            String value = headers.get(authorization);
            seen.add(value == null ? "(none)" : value);
            return next.startCall(call, headers);
          }
        };
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(discovery, recorder))
            .build()
            .start();
    try {
      runner
          .withPropertyValues(
              "meshclient.config.server-address=127.0.0.1:" + server.getPort(),
              "meshclient.config.plaintext=true",
              "meshclient.config.token=s3cret")
          .run(ctx -> assertThat(seen.poll(20, TimeUnit.SECONDS)).isEqualTo("Bearer s3cret"));
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void registrationWithoutAPortNeedsAWebServer() {
    runner
        .withPropertyValues(
            "meshclient.config.server-address=127.0.0.1:1",
            "meshclient.registration.enabled=true",
            "spring.application.name=checkout")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "meshclient.registration.port: (not set) (expected: the port to register:"
                            + " this application runs no embedded web server"));
  }

  @Test
  void usersOwnStatusDoesNotStopTheWatcher(@TempDir Path dir) throws Exception {
    writeOrders(dir, "127.0.0.1:9");
    MeshConfigStatus own = MeshConfigStatus.fixed();
    runner
        .withBean("myStatus", MeshConfigStatus.class, () -> own)
        .withPropertyValues("meshclient.config.policy-directory=" + dir)
        .run(
            ctx -> {
              assertThat(ctx).getBean(MeshConfigStatus.class).isSameAs(own);
              assertThat(ctx.getBean(Mesh.class).knows("orders")).isTrue();
            });
  }

  @Test
  void backsOffWithoutTheWatcherModule(@TempDir Path dir) throws Exception {
    writeOrders(dir, "127.0.0.1:9");
    runner
        .withClassLoader(new FilteredClassLoader(MeshConfigWatcher.class))
        .withPropertyValues("meshclient.config.policy-directory=" + dir)
        .run(
            ctx ->
                assertThat(ctx)
                    .hasSingleBean(Mesh.class)
                    .doesNotHaveBean(FilePolicySource.class)
                    .getBean(MeshConfigStatus.class)
                    .extracting(MeshConfigStatus::state)
                    .isEqualTo(MeshConfigStatus.State.STATIC));
  }
}
