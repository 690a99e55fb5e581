package io.meshclient.grpc.internal;

import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;

/**
 * The only class that touches OpenTelemetry's gRPC library, an optional dependency: it is loaded
 * only when an application asks for tracing, and says what to add when the library is missing.
 */
public final class OtelGrpc {

  private static final String MISSING =
      "openTelemetry: tracing gRPC calls needs io.opentelemetry.instrumentation:"
          + "opentelemetry-grpc-1.6 on the classpath (an optional dependency of mesh-client-grpc)";

  private OtelGrpc() {}

  /**
   * The per-attempt client interceptors, in the order {@code ManagedChannelBuilder.intercept}
   * takes.
   */
  public static ClientInterceptor[] clientInterceptors(OpenTelemetry openTelemetry) {
    try {
      return new ClientInterceptor[] {
        new AttemptSpanInterceptor(), GrpcTelemetry.create(openTelemetry).createClientInterceptor()
      };
    } catch (NoClassDefFoundError e) {
      throw new IllegalStateException(MISSING, e);
    }
  }

  public static ServerInterceptor serverInterceptor(OpenTelemetry openTelemetry) {
    try {
      return GrpcTelemetry.create(openTelemetry).createServerInterceptor();
    } catch (NoClassDefFoundError e) {
      throw new IllegalStateException(MISSING, e);
    }
  }
}
