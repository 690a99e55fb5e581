package io.meshclient.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.meshclient.Endpoint;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;

/**
 * Adds what only the mesh knows to each attempt's CLIENT span: the logical service, the route, the
 * endpoint and the attempt number. Placed directly below OpenTelemetry's tracing interceptor, whose
 * span is current while the attempt starts. Present only when tracing is configured.
 */
public final class AttemptSpanInterceptor implements ClientInterceptor {

  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("meshclient.service");
  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("meshclient.route");
  static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("meshclient.endpoint");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("meshclient.attempt");

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    MeshAttempt attempt = callOptions.getOption(MeshAttempt.KEY);
    ClientCall<ReqT, RespT> call = next.newCall(method, callOptions);
    if (attempt == null) {
      return call;
    }
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        Span span = Span.current();
        if (span.isRecording()) {
          Endpoint e = attempt.endpoint();
          if (e != null) {
            span.setAttribute(SERVICE, e.service());
            span.setAttribute(ENDPOINT, e.address());
          }
          span.setAttribute(ROUTE, attempt.routeName());
          span.setAttribute(ATTEMPT, (long) attempt.attemptNumber());
        }
        super.start(listener, headers);
      }
    };
  }
}
