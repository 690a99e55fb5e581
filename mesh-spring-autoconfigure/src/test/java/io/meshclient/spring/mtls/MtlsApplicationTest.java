package io.meshclient.spring.mtls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.grpc.MeshGrpcServer;
import io.meshclient.policy.TlsMode;
import io.meshclient.spring.MeshGrpcChannelFactory;
import io.meshclient.spring.internal.WorkloadIdentityException;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.SpiffeId;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.ShadedNettyGrpcServerFactory;

/**
 * A real Boot application with {@code meshclient.identity.enabled=true} against a real config
 * server that is the CA (TLS config port trusted through its bundle.pem, a tokens file). Its
 * services are STRICT: a JDK HttpsServer and a gRPC server made by a Spring gRPC server factory
 * (the recipe of docs/spring.md), both with certificates from the same CA, both requiring the
 * caller's certificate and allowing only the application's SPIFFE ID.
 */
@ExtendWith(OutputCaptureExtension.class)
class MtlsApplicationTest {

  private static final PeerPolicy ONLY_CHECKOUT =
      PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(CaServer.CHECKOUT));

  @TempDir Path dir;
  private CaServer ca;
  private HttpsServer inventory;
  private ExecutorService inventoryExecutor;
  private Server pricing;
  private final AtomicReference<SpiffeId> inventorySaw = new AtomicReference<>();
  private final AtomicReference<SpiffeId> pricingSaw = new AtomicReference<>();

  /** Answers with the caller's SPIFFE ID, which {@link MeshGrpcServer#callerInterceptor} read. */
  private final class Pricing extends SimpleServiceGrpc.SimpleServiceImplBase {
    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
      SpiffeId caller = MeshGrpcServer.callerIdentity();
      pricingSaw.set(caller);
      response.onNext(SimpleResponse.newBuilder().setResponseMessage(String.valueOf(caller)).build());
      response.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    ca = new CaServer(dir);

    MeshCredentials inventoryCreds = ca.serverCredentials("inventory");
    inventory = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    inventory.setHttpsConfigurator(
        new HttpsConfigurator(inventoryCreds.serverSslContext(ONLY_CHECKOUT)));
    inventoryExecutor = Executors.newFixedThreadPool(2);
    inventory.setExecutor(inventoryExecutor);
    inventory.createContext(
        "/whoami",
        exchange -> {
          SpiffeId caller = SpiffeId.fromSession(((HttpsExchange) exchange).getSSLSession());
          inventorySaw.set(caller);
          byte[] body = String.valueOf(caller).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/plain");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    inventory.start();

    // The docs/spring.md recipe for a Spring gRPC server: its factory with the mesh credentials.
    MeshCredentials pricingCreds = ca.serverCredentials("pricing");
    GrpcServerFactory factory =
        new ShadedNettyGrpcServerFactory("127.0.0.1:0", List.of(), null, null, null) {
          @Override
          protected ServerCredentials credentials() {
            return MeshGrpcServer.credentials(pricingCreds, ONLY_CHECKOUT);
          }
        };
    factory.addService(
        ServerInterceptors.intercept(new Pricing(), MeshGrpcServer.callerInterceptor()));
    pricing = factory.createServer().start();

    strict("inventory", inventory.getAddress().getPort());
    strict("pricing", pricing.getPort());
  }

  /** A STRICT policy for {@code service} on the config server: only its CA-issued identity. */
  private void strict(String service, int port) throws Exception {
    Files.writeString(
        ca.policies.resolve(service + ".yaml"),
        "service: " + service + "\n"
            + "tls: STRICT\n"
            + "identities: [\"spiffe://example.org/ns/shop/sa/" + service + "\"]\n"
            + "endpoints:\n"
            + "  - {address: \"127.0.0.1:" + port + "\"}\n");
    ca.server.reloadNow();
  }

  @AfterEach
  void stop() throws Exception {
    inventory.stop(0);
    inventoryExecutor.shutdownNow();
    pricing.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    ca.close();
  }

  private static String[] args(String[] properties) {
    String[] args = new String[properties.length];
    for (int i = 0; i < properties.length; i++) {
      args[i] = "--" + properties[i];
    }
    return args;
  }

  @Test
  void theAppGetsItsCertificateAndCallsStrictHttpAndGrpcServicesThatSeeItsIdentity() {
    try (ConfigurableApplicationContext app =
        new SpringApplicationBuilder(MtlsApplication.class)
            .web(WebApplicationType.NONE)
            .run(args(ca.properties("meshclient.config.services=inventory,pricing")))) {
      assertThat(app.getBean(MeshCredentials.class).identity().id())
          .isEqualTo(SpiffeId.parse(CaServer.CHECKOUT));
      Mesh mesh = app.getBean(Mesh.class);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> mesh.knows("inventory") && mesh.knows("pricing"));

      assertThat(app.getBean(InventoryClient.class).whoami()).isEqualTo(CaServer.CHECKOUT);
      assertThat(inventorySaw.get()).isEqualTo(SpiffeId.parse(CaServer.CHECKOUT));

      assertThat(app.getBean(PricingCaller.class).whoami()).isEqualTo(CaServer.CHECKOUT);
      assertThat(pricingSaw.get()).isEqualTo(SpiffeId.parse(CaServer.CHECKOUT));

      // Spring gRPC's mesh:/// channels get the credentials too.
      pricingSaw.set(null);
      ManagedChannel channel =
          app.getBean(MeshGrpcChannelFactory.class)
              .createChannel("mesh:///pricing", ChannelBuilderOptions.defaults());
      try {
        assertThat(
                SimpleServiceGrpc.newBlockingStub(channel)
                    .unaryRpc(SimpleRequest.getDefaultInstance())
                    .getResponseMessage())
            .isEqualTo(CaServer.CHECKOUT);
        assertThat(pricingSaw.get()).isEqualTo(SpiffeId.parse(CaServer.CHECKOUT));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aWrongTokenStopsStartUpWithTheServersMessage(CapturedOutput out) throws Exception {
    Path wrong = Files.writeString(dir.resolve("stale-token"), "stale-token-0000");
    assertThatThrownBy(
            () ->
                new SpringApplicationBuilder(MtlsApplication.class)
                    .web(WebApplicationType.NONE)
                    .run(args(ca.properties("meshclient.identity.token-file=" + wrong))))
        .hasRootCauseInstanceOf(io.meshclient.config.WorkloadCertificateException.class)
        .hasStackTraceContaining(WorkloadIdentityException.class.getName());
    assertThat(out.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("MeshClient could not obtain this application's workload certificate")
        .contains("UNAUTHENTICATED: unknown bootstrap token")
        .contains("Check the bootstrap token (meshclient.identity.token-file=" + wrong + ")")
        .doesNotContain("stale-token-0000");
  }
}
