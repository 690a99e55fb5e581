package io.meshclient.http.internal;

import io.meshclient.Endpoint;
import io.meshclient.MeshCall;
import io.meshclient.ServiceHandle;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Traces attempts and counts what the mesh did. {@link #NONE} when no OpenTelemetry is configured:
 * then an attempt is a bare {@code chain.proceed}, with no branch on a flag anywhere else.
 */
public abstract class HttpTelemetry {

  /** Telemetry off: costs nothing. */
  static final HttpTelemetry NONE =
      new HttpTelemetry() {
        @Override
        Response proceed(
            Interceptor.Chain chain,
            Request request,
            Request sent,
            MeshCall call,
            EndpointRoute route,
            @Nullable Object callState,
            long bufferBodyBytes)
            throws IOException {
          return buffered(chain.proceed(sent), bufferBodyBytes);
        }
      };

  /**
   * The telemetry for {@code openTelemetry}: {@link #NONE} for null or a no-op instance (no
   * tracer, no meter, no propagator), else OpenTelemetry's HTTP client instrumenter.
   */
  public static HttpTelemetry create(@Nullable OpenTelemetry openTelemetry) {
    if (openTelemetry == null || isNoop(openTelemetry)) {
      return NONE;
    }
    return new OtelHttpTelemetry(openTelemetry);
  }

  private static boolean isNoop(OpenTelemetry otel) {
    return otel.getTracerProvider() == TracerProvider.noop()
        && otel.getMeterProvider() == MeterProvider.noop()
        && otel.getPropagators().getTextMapPropagator() == TextMapPropagator.noop();
  }

  /** Whatever this telemetry precomputes per endpoint (span attributes), or null. */
  @Nullable Object endpointState(Endpoint endpoint) {
    return null;
  }

  /** A service this client calls, from now on reported in the {@code meshclient.*} counters. */
  void serviceAdded(ServiceHandle service) {}

  /** Per-call state (the parent context with the resend counter), or null. Once per call. */
  @Nullable Object startCall(Request request) {
    return null;
  }

  /**
   * Sends one attempt, {@code chain.proceed(sent)}, inside a CLIENT span when tracing; {@code
   * request} is the logical request the span describes. With {@code bufferBodyBytes > 0}, the
   * attempt also reads that much of the body (see {@link #buffered}).
   */
  abstract Response proceed(
      Interceptor.Chain chain,
      Request request,
      Request sent,
      MeshCall call,
      EndpointRoute route,
      @Nullable Object callState,
      long bufferBodyBytes)
      throws IOException;

  /**
   * Reads up to {@code bufferBodyBytes} of the body into OkHttp's own buffer (no copy), so a body
   * cut short fails the attempt rather than the caller's read. A longer body streams as usual.
   */
  static Response buffered(Response response, long bufferBodyBytes) throws IOException {
    if (bufferBodyBytes > 0) {
      try {
        response.body().source().request(bufferBodyBytes + 1);
      } catch (IOException e) {
        response.close();
        throw e;
      }
    }
    return response;
  }
}
