package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.grpc.MeshGrpc;
import io.meshclient.spring.internal.MeshGrpcClientPostProcessor;
import io.meshclient.spring.internal.ServiceSubscriber;
import io.meshclient.tls.MeshCredentials;
import io.opentelemetry.api.OpenTelemetry;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.util.ClassUtils;

/**
 * gRPC through the mesh: {@link MeshGrpcChannels} (one channel per service), stubs in {@link
 * MeshGrpcClient @MeshGrpcClient} fields, and, with Spring gRPC, a {@link GrpcChannelFactory} for
 * {@code mesh:///<service>} targets.
 */
@AutoConfiguration(after = {MeshAutoConfiguration.class, MeshConfigAutoConfiguration.class})
@ConditionalOnClass(MeshGrpc.class)
@ConditionalOnBooleanProperty(name = "meshclient.enabled", matchIfMissing = true)
public final class MeshGrpcAutoConfiguration {

  /** The optional library the gRPC adapter traces with. */
  static final String GRPC_TELEMETRY = "io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry";

  /** The application's OpenTelemetry, when the gRPC adapter can trace with it. */
  static @Nullable OpenTelemetry openTelemetry(ObjectProvider<OpenTelemetry> provider) {
    return ClassUtils.isPresent(GRPC_TELEMETRY, MeshGrpcAutoConfiguration.class.getClassLoader())
        ? provider.getIfAvailable()
        : null;
  }

  /**
   * What every mesh channel of the application gets: mutual TLS with the {@link MeshCredentials}
   * bean when there is one (for services whose policy asks for it), then the {@link
   * MeshGrpcBuilderCustomizer} beans in order, which may replace it.
   */
  static Consumer<MeshGrpc.Builder> channelCustomizer(
      ObjectProvider<MeshCredentials> credentials,
      ObjectProvider<MeshGrpcBuilderCustomizer> customizers) {
    return b -> {
      credentials.ifAvailable(b::credentials);
      customizers.orderedStream().forEach(c -> c.customize(b));
    };
  }

  /**
   * The channels. Traces use the application's {@link OpenTelemetry} bean when there is one and
   * {@code io.opentelemetry.instrumentation:opentelemetry-grpc-1.6} is on the classpath; see
   * {@link #channelCustomizer} for credentials and options.
   */
  @Bean
  @ConditionalOnMissingBean
  public MeshGrpcChannels meshGrpcChannels(
      Mesh mesh,
      ObjectProvider<OpenTelemetry> openTelemetry,
      ObjectProvider<MeshCredentials> credentials,
      ObjectProvider<MeshGrpcBuilderCustomizer> customizers,
      ObjectProvider<ServiceSubscriber> subscriber) {
    return new MeshGrpcChannels(
        mesh,
        openTelemetry(openTelemetry),
        channelCustomizer(credentials, customizers),
        s -> subscriber.getIfAvailable(() -> ServiceSubscriber.NONE).subscribe(s));
  }

  @Bean
  static MeshGrpcClientPostProcessor meshGrpcClientPostProcessor(
      ObjectProvider<MeshGrpcChannels> channels) {
    return new MeshGrpcClientPostProcessor(channels);
  }

  /** Spring gRPC integration. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(GrpcChannelFactory.class)
  static class SpringGrpc {

    @Bean
    @ConditionalOnMissingBean
    MeshGrpcChannelFactory meshGrpcChannelFactory(
        Mesh mesh,
        ObjectProvider<OpenTelemetry> openTelemetry,
        ObjectProvider<MeshCredentials> credentials,
        ObjectProvider<MeshGrpcBuilderCustomizer> customizers,
        ObjectProvider<ServiceSubscriber> subscriber) {
      return new MeshGrpcChannelFactory(
          mesh,
          openTelemetry(openTelemetry),
          channelCustomizer(credentials, customizers),
          s -> subscriber.getIfAvailable(() -> ServiceSubscriber.NONE).subscribe(s));
    }
  }
}
