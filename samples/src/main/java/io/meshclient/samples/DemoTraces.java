package io.meshclient.samples;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's OpenTelemetry: an SDK whose exporter counts the attempt spans and keeps the traces
 * in which a call needed more than one attempt, to print one at the end.
 */
final class DemoTraces implements SpanExporter {

  private static final AttributeKey<Long> RESEND = AttributeKey.longKey("http.request.resend_count");

  private final AtomicLong spans = new AtomicLong();
  private final Map<String, List<SpanData>> byTrace = new LinkedHashMap<>();
  /** The first traces whose call took more than one attempt (kept whole, not evicted). */
  private final List<List<SpanData>> retried = new ArrayList<>();
  private final OpenTelemetrySdk sdk;

  DemoTraces() {
    sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(this)).build())
            .build();
  }

  OpenTelemetrySdk sdk() {
    return sdk;
  }

  @Override
  public synchronized CompletableResultCode export(Collection<SpanData> batch) {
    for (SpanData span : batch) {
      spans.incrementAndGet();
      List<SpanData> trace = byTrace.get(span.getTraceId());
      if (trace == null) {
        if (byTrace.size() >= 200) {
          byTrace.remove(byTrace.keySet().iterator().next()); // keep memory bounded
        }
        trace = new ArrayList<>();
        byTrace.put(span.getTraceId(), trace);
      }
      trace.add(span);
      if (span.getKind() == SpanKind.CLIENT && clientSpans(trace) == 2 && retried.size() < 5) {
        retried.add(trace);
      }
    }
    return CompletableResultCode.ofSuccess();
  }

  private static int clientSpans(List<SpanData> trace) {
    int n = 0;
    for (SpanData s : trace) {
      if (s.getKind() == SpanKind.CLIENT) {
        n++;
      }
    }
    return n;
  }

  /** Prints the span count and one trace whose call took several attempts. */
  synchronized void print(PrintStream out) {
    out.printf(Locale.ROOT, "traces: %d spans exported (each call's own span and one CLIENT span per attempt)%n", spans.get());
    if (!retried.isEmpty()) {
      List<SpanData> trace = retried.get(0);
      out.println("  a call that needed " + clientSpans(trace) + " attempts (one trace: the caller's span, one CLIENT span per attempt):");
      for (SpanData s : trace) {
        Long resend = s.getAttributes().get(RESEND);
        out.printf(Locale.ROOT, "    trace %s span %s  %-28s %-9s %s%s%n",
            s.getTraceId().substring(0, 8), s.getSpanId().substring(0, 8), s.getName(),
            s.getStatus().getStatusCode(), endpoint(s), resend == null ? "" : "  resend_count=" + resend);
      }
      return;
    }
    out.println("  (no call needed a second attempt)");
  }

  private static String endpoint(SpanData s) {
    Object address = s.getAttributes().get(AttributeKey.stringKey("server.address"));
    Object port = s.getAttributes().get(AttributeKey.longKey("server.port"));
    Object mesh = s.getAttributes().get(AttributeKey.stringKey("meshclient.endpoint"));
    if (mesh != null) {
      return "→ " + mesh;
    }
    return address == null ? "" : "→ " + address + (port == null ? "" : ":" + port);
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
