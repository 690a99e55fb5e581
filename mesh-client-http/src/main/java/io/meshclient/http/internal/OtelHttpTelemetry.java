package io.meshclient.http.internal;

import io.meshclient.Endpoint;
import io.meshclient.MeshCall;
import io.meshclient.ServiceHandle;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientAttributesGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientMetrics;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientRequestResendCount;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.ToLongFunction;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * One CLIENT span per attempt through OpenTelemetry's {@link Instrumenter} with the HTTP
 * semantic-convention extractors ({@code http.request.method}, {@code server.address}, {@code
 * url.full}, {@code http.response.status_code}, {@code http.request.resend_count}, {@code
 * error.type}, ...) and {@code http.client.request.duration}; W3C context injected by the
 * configured propagators.
 *
 * <p>The span wraps the whole attempt in the application-interceptor layer, so an attempt that
 * fails to connect still gets its span (a network interceptor never sees it). It is current while
 * OkHttp's chain runs: an application that also instruments OkHttp (OpenTelemetry's
 * okhttp-3.0 library or agent) has its nested HTTP CLIENT span suppressed by OpenTelemetry's span
 * suppression, so there is one span per attempt, not two. {@code server.address} is the logical
 * host (what the URL says); {@code network.peer.address}/{@code port} and {@code
 * meshclient.endpoint} name the endpoint the attempt went to.
 */
final class OtelHttpTelemetry extends HttpTelemetry {

  /**
   * The services counted per meter. Every client built with the same OpenTelemetry shares one set
   * and one set of callbacks, so a service called through two clients is reported once.
   */
  private static final Map<Meter, Set<ServiceHandle>> COUNTED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final Instrumenter<Attempt, Response> instrumenter;
  private final Set<ServiceHandle> services;

  OtelHttpTelemetry(OpenTelemetry otel) {
    Getter getter = new Getter();
    this.instrumenter =
        Instrumenter.<Attempt, Response>builder(
                otel, MeshSemconv.HTTP_SCOPE, HttpSpanNameExtractor.create(getter))
            .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
            .addAttributesExtractor(HttpClientAttributesExtractor.create(getter))
            .addAttributesExtractor(new MeshAttributes())
            .addOperationMetrics(HttpClientMetrics.get())
            .buildClientInstrumenter((attempt, key, value) -> attempt.setHeader(key, value));
    if (otel.getMeterProvider() == MeterProvider.noop()) {
      this.services = new CopyOnWriteArraySet<>(); // tracing only: nothing to count for
      return;
    }
    Meter meter = otel.getMeter(MeshSemconv.HTTP_SCOPE);
    synchronized (COUNTED) {
      Set<ServiceHandle> shared = COUNTED.get(meter);
      if (shared == null) {
        shared = new CopyOnWriteArraySet<>();
        COUNTED.put(meter, shared);
        registerCounters(meter, shared);
      }
      this.services = shared;
    }
  }

  private static void registerCounters(Meter meter, Set<ServiceHandle> services) {
    counter(
        meter, services, MeshSemconv.REQUESTS, "{request}", "Calls started", ServiceHandle.Stats::requests);
    counter(
        meter, services, MeshSemconv.RETRIES, "{retry}", "Retries granted", ServiceHandle.Stats::retries);
    counter(
        meter,
        services,
        MeshSemconv.RETRIES_DENIED,
        "{retry}",
        "Retries refused by the budget or the deadline",
        ServiceHandle.Stats::retriesDenied);
    counter(
        meter,
        services,
        MeshSemconv.REJECTIONS,
        "{request}",
        "Calls or attempts refused before sending",
        ServiceHandle.Stats::rejections);
    counter(
        meter,
        services,
        MeshSemconv.EJECTIONS,
        "{ejection}",
        "Outlier ejections",
        ServiceHandle.Stats::ejections);
  }

  /** Asynchronous counters read the engine's own counters at collection: nothing per request. */
  private static void counter(
      Meter meter,
      Set<ServiceHandle> services,
      String name,
      String unit,
      String description,
      ToLongFunction<ServiceHandle.Stats> value) {
    meter
        .counterBuilder(name)
        .setUnit(unit)
        .setDescription(description)
        .buildWithCallback((ObservableLongMeasurement m) -> observe(m, services, value));
  }

  private static void observe(
      ObservableLongMeasurement m,
      Set<ServiceHandle> services,
      ToLongFunction<ServiceHandle.Stats> value) {
    for (ServiceHandle s : services) {
      m.record(value.applyAsLong(s.stats()), Attributes.of(MeshSemconv.SERVICE, s.name()));
    }
  }

  @Override
  void serviceAdded(ServiceHandle service) {
    services.add(service);
  }

  @Override
  Object endpointState(Endpoint endpoint) {
    AttributesBuilder b =
        Attributes.builder()
            .put(MeshSemconv.SERVICE, endpoint.service())
            .put(MeshSemconv.ENDPOINT, endpoint.address());
    if (!endpoint.zone().isEmpty()) {
      b.put(MeshSemconv.ZONE, endpoint.zone());
    }
    return b.build();
  }

  @Override
  Object startCall(Request request) {
    Context parent = Context.current();
    if (parent == Context.root()) {
      // An asynchronous call runs on OkHttp's dispatcher, where no context is current;
      // OpenTelemetry's okhttp library carries the caller's in a request tag.
      Context tagged = request.tag(Context.class);
      if (tagged != null) {
        parent = tagged;
      }
    }
    // Shared by all attempts, so the extractor numbers them (http.request.resend_count).
    return HttpClientRequestResendCount.initialize(parent);
  }

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
    Context parent = callState instanceof Context c ? c : Context.current();
    Attempt attempt = new Attempt(request, sent, route, call.routeName());
    if (!instrumenter.shouldStart(parent, attempt)) {
      return buffered(chain.proceed(sent), bufferBodyBytes);
    }
    Context context = instrumenter.start(parent, attempt); // injects traceparent/baggage
    Response response;
    Scope scope = context.makeCurrent();
    try {
      response = buffered(chain.proceed(attempt.requestToSend()), bufferBodyBytes);
    } catch (IOException | RuntimeException | Error e) {
      instrumenter.end(context, attempt, null, e);
      throw e;
    } finally {
      scope.close();
    }
    instrumenter.end(context, attempt, response, null);
    return response;
  }

  /** One attempt as the instrumenter sees it; collects the injected headers. */
  static final class Attempt {
    final Request request;
    private final Request sent;
    final EndpointRoute route;
    final String routeName;
    private Request.@Nullable Builder injected;

    Attempt(Request request, Request sent, EndpointRoute route, String routeName) {
      this.request = request;
      this.sent = sent;
      this.route = route;
      this.routeName = routeName;
    }

    void setHeader(String key, String value) {
      Request.Builder b = injected;
      if (b == null) {
        b = sent.newBuilder();
        injected = b;
      }
      b.header(key, value);
    }

    Request requestToSend() {
      Request.Builder b = injected;
      return b == null ? sent : b.build();
    }
  }

  private static final class MeshAttributes implements AttributesExtractor<Attempt, Response> {
    @Override
    public void onStart(AttributesBuilder attributes, Context parentContext, Attempt attempt) {
      if (attempt.route.telemetry instanceof Attributes precomputed) {
        attributes.putAll(precomputed);
      }
      attributes.put(MeshSemconv.ROUTE, attempt.routeName);
    }

    @Override
    public void onEnd(
        AttributesBuilder attributes,
        Context context,
        Attempt attempt,
        @Nullable Response response,
        @Nullable Throwable error) {}
  }

  private static final class Getter implements HttpClientAttributesGetter<Attempt, Response> {
    @Override
    public String getHttpRequestMethod(Attempt a) {
      return a.request.method();
    }

    @Override
    public List<String> getHttpRequestHeader(Attempt a, String name) {
      return a.request.headers(name);
    }

    @Override
    public Integer getHttpResponseStatusCode(Attempt a, Response response, @Nullable Throwable error) {
      return response.code();
    }

    @Override
    public List<String> getHttpResponseHeader(Attempt a, Response response, String name) {
      return response.headers(name);
    }

    @Override
    public String getUrlFull(Attempt a) {
      return a.request.url().toString();
    }

    @Override
    public String getServerAddress(Attempt a) {
      return a.request.url().host();
    }

    @Override
    public Integer getServerPort(Attempt a) {
      return a.request.url().port();
    }

    @Override
    public @Nullable String getNetworkProtocolName(Attempt a, @Nullable Response response) {
      return response == null ? null : "http";
    }

    @Override
    public @Nullable String getNetworkProtocolVersion(Attempt a, @Nullable Response response) {
      if (response == null) {
        return null;
      }
      Protocol p = response.protocol();
      return switch (p) {
        case HTTP_1_0 -> "1.0";
        case HTTP_1_1 -> "1.1";
        case HTTP_2, H2_PRIOR_KNOWLEDGE -> "2";
        default -> null;
      };
    }

    @Override
    public String getNetworkPeerAddress(Attempt a, @Nullable Response response) {
      return a.route.endpoint.host();
    }

    @Override
    public Integer getNetworkPeerPort(Attempt a, @Nullable Response response) {
      return a.route.endpoint.port();
    }
  }
}
