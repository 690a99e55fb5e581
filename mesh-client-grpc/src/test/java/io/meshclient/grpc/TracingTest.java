package io.meshclient.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.Destination;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every attempt is a CLIENT span; the server continues the trace of the attempt that reached it.
 */
class TracingTest {

  @RegisterExtension final GrpcResources grpc = new GrpcResources();

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final OpenTelemetrySdk otel =
      OpenTelemetrySdk.builder()
          .setTracerProvider(
              SdkTracerProvider.builder()
                  .addSpanProcessor(SimpleSpanProcessor.create(spans))
                  .build())
          .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();

  @AfterEach
  void closeSdk() {
    otel.close();
  }

  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("meshclient.attempt");

  @Test
  void eachAttemptIsAClientSpanAndTheServerSpanIsItsChild() {
    Backend backend = grpc.backend("traced", Map.of(), MeshGrpc.serverInterceptor(otel));
    backend.behavior = Backend.Behavior.FAIL_ONCE; // the first attempt fails, the retry succeeds
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(1)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                ServicePolicy.builder("orders")
                    .endpoint(backend.spec())
                    .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
                    .build())
            .build());
    ManagedChannel channel =
        grpc.register(MeshGrpc.builder(mesh, "orders").openTelemetry(otel).build());

    Span parent = otel.getTracer("test").spanBuilder("checkout").startSpan();
    Scope scope = parent.makeCurrent();
    try {
      SimpleServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("t").build());
    } finally {
      scope.close();
      parent.end();
    }

    // The server ends its span after the response is on its way: wait for both.
    await().until(() -> spans.getFinishedSpanItems().size() == 5);
    List<SpanData> all = spans.getFinishedSpanItems();
    List<SpanData> clients =
        all.stream()
            .filter(s -> s.getKind() == SpanKind.CLIENT)
            .sorted(Comparator.comparing(s -> s.getAttributes().get(ATTEMPT)))
            .toList();
    List<SpanData> servers = all.stream().filter(s -> s.getKind() == SpanKind.SERVER).toList();
    assertThat(clients).hasSize(2);
    assertThat(servers).hasSize(2);
    for (SpanData client : clients) {
      assertThat(client.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
      assertThat(client.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
      assertThat(client.getAttributes().get(AttributeKey.stringKey("meshclient.endpoint")))
          .isEqualTo(backend.address());
      assertThat(client.getAttributes().get(AttributeKey.stringKey("meshclient.service")))
          .isEqualTo("orders");
    }
    assertThat(clients.get(0).getAttributes().get(ATTEMPT)).isEqualTo(1L);
    assertThat(clients.get(1).getAttributes().get(ATTEMPT)).isEqualTo(2L);
    // Each server span continues its own attempt's span.
    assertThat(servers)
        .extracting(SpanData::getParentSpanId)
        .containsExactlyInAnyOrder(clients.get(0).getSpanId(), clients.get(1).getSpanId());
    // The current RPC semantic conventions (opted in for this module's tests, see pom.xml).
    SpanData retried = clients.get(1);
    assertThat(retried.getAttributes().get(AttributeKey.stringKey("rpc.system.name")))
        .isEqualTo("grpc");
    assertThat(retried.getAttributes().get(AttributeKey.stringKey("rpc.method")))
        .isEqualTo("grpc.testing.SimpleService/UnaryRpc");
    assertThat(
            clients.get(0).getAttributes().get(AttributeKey.stringKey("rpc.response.status_code")))
        .isEqualTo("UNAVAILABLE");
    assertThat(retried.getAttributes().get(AttributeKey.stringKey("rpc.response.status_code")))
        .isEqualTo("OK");
    assertThat(metrics.collectAllMetrics())
        .extracting(MetricData::getName)
        .contains("rpc.client.call.duration", "rpc.server.call.duration");
  }

  @Test
  void anApplicationThatAlreadyInstrumentsGetsNoDuplicateClientSpans() {
    Backend backend = grpc.backend("traced", Map.of(), MeshGrpc.serverInterceptor(otel));
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(1)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(ServicePolicy.builder("orders").endpoint(backend.spec()).build())
            .build());
    // The application's own OpenTelemetry gRPC interceptor, and the mesh's tracing on top.
    ManagedChannel channel =
        grpc.register(
            MeshGrpc.builder(mesh, "orders")
                .intercept(GrpcTelemetry.create(otel).createClientInterceptor())
                .openTelemetry(otel)
                .build());
    SimpleServiceGrpc.newBlockingStub(channel)
        .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("t").build());

    // The outermost CLIENT span (a root here) ends last of the client spans; then the server's.
    await()
        .until(
            () ->
                spans.getFinishedSpanItems().stream()
                        .anyMatch(
                            s ->
                                s.getKind() == SpanKind.CLIENT
                                    && !s.getParentSpanContext().isValid())
                    && spans.getFinishedSpanItems().stream()
                        .anyMatch(s -> s.getKind() == SpanKind.SERVER));
    List<SpanData> all = spans.getFinishedSpanItems();
    List<SpanData> clients = all.stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
    List<SpanData> servers = all.stream().filter(s -> s.getKind() == SpanKind.SERVER).toList();
    assertThat(clients).hasSize(1);
    assertThat(servers).hasSize(1);
    assertThat(servers.get(0).getParentSpanId()).isEqualTo(clients.get(0).getSpanId());
  }
}
