package io.meshclient.spring;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.meshclient.Mesh;
import io.meshclient.grpc.MeshGrpc;
import io.opentelemetry.api.OpenTelemetry;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * Spring gRPC's {@link GrpcChannelFactory} for mesh targets: {@code mesh:///orders} (or {@code
 * mesh:orders}). With Spring gRPC's auto-configuration, which composes every channel factory bean
 * in order, {@code @ImportGrpcClients(target = "mesh:///orders", ...)} and {@code
 * spring.grpc.client.channels.*.address=mesh:///orders} get mesh channels. Ordered first so that
 * no other factory claims the {@code mesh:} scheme.
 */
public final class MeshGrpcChannelFactory implements GrpcChannelFactory, Ordered {

  /** The target scheme. */
  public static final String SCHEME = "mesh:";

  private final Mesh mesh;
  private final @Nullable OpenTelemetry openTelemetry;
  private final Consumer<MeshGrpc.Builder> meshCustomizer;
  private final Consumer<String> onNewService;

  public MeshGrpcChannelFactory(Mesh mesh, @Nullable OpenTelemetry openTelemetry) {
    this(mesh, openTelemetry, s -> {});
  }

  /** @param onNewService told each service a channel is made for (the config watcher subscribes) */
  public MeshGrpcChannelFactory(
      Mesh mesh, @Nullable OpenTelemetry openTelemetry, Consumer<String> onNewService) {
    this(mesh, openTelemetry, b -> {}, onNewService);
  }

  /**
   * @param customizer applied to every channel's builder (credentials, executor, interceptors),
   *     before the Spring gRPC options' interceptors and customizer
   * @param onNewService told each service a channel is made for (the config watcher subscribes)
   */
  public MeshGrpcChannelFactory(
      Mesh mesh,
      @Nullable OpenTelemetry openTelemetry,
      Consumer<MeshGrpc.Builder> customizer,
      Consumer<String> onNewService) {
    this.mesh = mesh;
    this.openTelemetry = openTelemetry;
    this.meshCustomizer = customizer;
    this.onNewService = onNewService;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public boolean supports(String target) {
    return target.startsWith(SCHEME);
  }

  /** The service named by a mesh target. */
  static String service(String target) {
    String rest = target.substring(SCHEME.length());
    while (rest.startsWith("/")) {
      rest = rest.substring(1);
    }
    if (rest.isEmpty() || rest.contains("/")) {
      throw new IllegalArgumentException(
          "gRPC target '" + target + "' (expected: mesh:///<service>, such as mesh:///orders)");
    }
    return rest;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"}) // Spring gRPC types its customizer per builder class
  public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
    String service = service(target);
    onNewService.accept(service);
    MeshGrpc.Builder b = MeshGrpc.builder(mesh, service);
    if (openTelemetry != null) {
      b.openTelemetry(openTelemetry);
    }
    meshCustomizer.accept(b);
    b.intercept(options.interceptors().toArray(new io.grpc.ClientInterceptor[0]));
    GrpcChannelBuilderCustomizer customizer = options.customizer();
    b.configure(builder -> customizer.customize(target, (ManagedChannelBuilder) builder));
    return b.build();
  }
}
