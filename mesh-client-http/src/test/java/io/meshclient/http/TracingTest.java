package io.meshclient.http;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.serviceUnavailable;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.okhttp.v3_0.OkHttpTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One CLIENT span per attempt, its context on the wire, and no duplicates. */
@SuppressWarnings("try") // scopes are opened for their effect
class TracingTest {

  static Fleet fleet;
  InMemorySpanExporter spans;
  InMemoryMetricReader metrics;
  OpenTelemetrySdk otel;
  OkHttpClient client;

  @BeforeAll
  static void startFleet() {
    fleet = new Fleet(2);
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @BeforeEach
  void setUpOtel() {
    spans = InMemorySpanExporter.create();
    metrics = InMemoryMetricReader.create();
    otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .setPropagators(
                ContextPropagators.create(
                    TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
            .build();
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      Fleet.shutdown(client);
    }
    otel.close();
    fleet.reset();
  }

  private Mesh mesh(EndpointSpec... endpoints) {
    Mesh mesh = Mesh.builder().random(RandomSource.seeded(5)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                ServicePolicy.builder("orders")
                    .loadBalancer(LbAlgorithm.ROUND_ROBIN)
                    .retry(
                        RetryPolicy.builder()
                            .maxAttempts(2)
                            .backoff(BackoffPolicy.of(Duration.ofMillis(1), Duration.ofMillis(1)))
                            .build())
                    .endpoints(List.of(endpoints))
                    .build())
            .build());
    return mesh;
  }

  private static String traceparent(SpanData span) {
    return "00-"
        + span.getTraceId()
        + "-"
        + span.getSpanId()
        + "-"
        + span.getSpanContext().getTraceFlags().asHex();
  }

  private static LoggedRequest onlyRequest(int instance) {
    List<LoggedRequest> all = fleet.get(instance).findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(anyUrl()));
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  private List<SpanData> clientSpans() {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == SpanKind.CLIENT)
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .toList();
  }

  @Test
  void attemptSpanFollowsSemconvAndItsContextIsWhatTheServerReceives() throws Exception {
    client = MeshHttp.builder(mesh(fleet.endpoint(0))).openTelemetry(otel).client();
    Span parent = otel.getTracer("test").spanBuilder("parent").startSpan();
    try (Scope s = parent.makeCurrent();
        Scope b = Baggage.builder().put("tenant", "acme").build().makeCurrent()) {
      assertThat(Fleet.get(client, "http://orders/items?id=7")).isEqualTo("s0");
    } finally {
      parent.end();
    }
    List<SpanData> attempts = clientSpans();
    assertThat(attempts).hasSize(1);
    SpanData span = attempts.get(0);
    assertThat(span.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(span.getName()).isEqualTo("GET");
    assertThat(span.getInstrumentationScopeInfo().getName()).isEqualTo("io.meshclient.http");
    var a = span.getAttributes();
    assertThat(a.get(AttributeKey.stringKey("http.request.method"))).isEqualTo("GET");
    assertThat(a.get(AttributeKey.stringKey("server.address"))).isEqualTo("orders");
    assertThat(a.get(AttributeKey.longKey("server.port"))).isEqualTo(80L);
    assertThat(a.get(AttributeKey.stringKey("url.full"))).isEqualTo("http://orders/items?id=7");
    assertThat(a.get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
    assertThat(a.get(AttributeKey.longKey("http.request.resend_count"))).isNull();
    assertThat(a.get(AttributeKey.stringKey("network.peer.address"))).isEqualTo("127.0.0.1");
    assertThat(a.get(AttributeKey.longKey("network.peer.port"))).isEqualTo((long) fleet.port(0));
    assertThat(a.get(AttributeKey.stringKey("meshclient.endpoint")))
        .isEqualTo("127.0.0.1:" + fleet.port(0));
    assertThat(a.get(AttributeKey.stringKey("meshclient.service"))).isEqualTo("orders");

    LoggedRequest received = onlyRequest(0);
    assertThat(received.getHeader("traceparent")).isEqualTo(traceparent(span));
    assertThat(received.getHeader("baggage")).contains("tenant=acme");
  }

  @Test
  void eachRetryIsItsOwnSpanWithResendCountAndItsOwnTraceparent() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(serviceUnavailable()));
    client = MeshHttp.builder(mesh(fleet.endpoint(0), fleet.endpoint(1))).openTelemetry(otel).client();
    Span parent = otel.getTracer("test").spanBuilder("parent").startSpan();
    try (Scope s = parent.makeCurrent()) {
      assertThat(Fleet.get(client, "http://orders/x")).isEqualTo("s1");
    } finally {
      parent.end();
    }

    List<SpanData> attempts = clientSpans();
    assertThat(attempts).hasSize(2);
    SpanData first = attempts.get(0);
    SpanData retry = attempts.get(1);
    assertThat(first.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(503L);
    assertThat(first.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("503");
    assertThat(retry.getAttributes().get(AttributeKey.longKey("http.request.resend_count"))).isEqualTo(1L);
    assertThat(retry.getAttributes().get(AttributeKey.stringKey("url.full"))).isEqualTo("http://orders/x");
    assertThat(onlyRequest(0).getHeader("traceparent")).isEqualTo(traceparent(first));
    assertThat(onlyRequest(1).getHeader("traceparent")).isEqualTo(traceparent(retry));
    assertThat(first.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(retry.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());

    MetricData duration = metric("http.client.request.duration");
    assertThat(duration.getHistogramData().getPoints()).isNotEmpty();
    assertThat(metric("meshclient.retries").getLongSumData().getPoints())
        .singleElement()
        .satisfies(p -> assertThat(p.getValue()).isEqualTo(1L));
  }

  @Test
  void applicationThatAlreadyInstrumentsOkHttpGetsNoDuplicateSpans() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort(); // nothing listens there once closed: a connect failure
    }
    client =
        MeshHttp.builder(mesh(EndpointSpec.of("127.0.0.1:" + closedPort), fleet.endpoint(1)))
            .openTelemetry(otel)
            .client();
    // What an application does to trace its OkHttp calls with OpenTelemetry's library.
    Call.Factory instrumented = OkHttpTelemetry.create(otel).createCallFactory(client);
    Span parent = otel.getTracer("test").spanBuilder("parent").startSpan();
    try (Scope s = parent.makeCurrent();
        Response r = instrumented.newCall(new Request.Builder().url("http://orders/x").build()).execute()) {
      assertThat(r.body().string()).isEqualTo("s1");
    } finally {
      parent.end();
    }
    List<SpanData> attempts = clientSpans();
    assertThat(attempts)
        .as("one CLIENT span per attempt: the connect failure and the success")
        .hasSize(2);
    assertThat(attempts).allSatisfy(span -> assertThat(span.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId()));
    assertThat(attempts.get(0).getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo("java.net.ConnectException");
    assertThat(onlyRequest(1).getHeader("traceparent")).isEqualTo(traceparent(attempts.get(1)));
  }

  @Test
  void withoutOpenTelemetryNothingIsInjected() throws IOException {
    client = MeshHttp.builder(mesh(fleet.endpoint(0))).openTelemetry(OpenTelemetry.noop()).client();
    Span parent = otel.getTracer("test").spanBuilder("parent").startSpan();
    try (Scope s = parent.makeCurrent()) {
      Fleet.get(client, "http://orders/x");
    } finally {
      parent.end();
    }
    assertThat(onlyRequest(0).getHeader("traceparent")).isNull();
    assertThat(clientSpans()).isEmpty();
  }

  private MetricData metric(String name) {
    return metrics.collectAllMetrics().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in " + metrics.collectAllMetrics()));
  }
}
