package io.meshclient.samples;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.ServiceHandle;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's terminal view: per instance its share of the traffic of the last interval, success
 * rate, mean latency, and the caller's view of it (breaker, ejection, in flight); the policy
 * version in force and the caller's totals. Redraws in place on a terminal; prints a plain table
 * every few refreshes otherwise (CI logs).
 */
final class LiveView {

  /** The caller's running totals, kept by the demo's client threads. */
  interface Totals {
    long requests();

    long failures();
  }

  private final PrintStream out;
  private final boolean terminal;
  private final Mesh mesh;
  private final List<SampleService> instances;
  private final List<String> services;
  private final Map<String, long[]> previous = new HashMap<>();
  private final List<String> events = new ArrayList<>();
  private int frames;

  LiveView(PrintStream out, boolean terminal, Mesh mesh, List<SampleService> instances, List<String> services) {
    this.out = out;
    this.terminal = terminal;
    this.mesh = mesh;
    this.instances = instances;
    this.services = services;
  }

  synchronized void event(String text) {
    events.add(text);
    if (!terminal) {
      out.println(">>> " + text);
    }
  }

  synchronized void render(long elapsedSeconds, Totals http, Totals grpc) {
    frames++;
    StringBuilder sb = new StringBuilder();
    if (terminal) {
      sb.append("\033[H\033[2J");
    } else if (frames % 5 != 0) {
      snapshotCounters();
      return;
    }
    sb.append(String.format(Locale.ROOT, "MeshClient demo  t=%2ds  policy version %s%n%n",
        elapsedSeconds, mesh.policy().version()));
    sb.append(String.format(Locale.ROOT, "%-10s %-7s %-5s %-8s %9s %9s %8s %9s  %-24s%n",
        "instance", "version", "zone", "state", "http/s %", "grpc/s %", "ok %", "mean ms", "caller's view (http | grpc)"));
    long totalHttp = 0;
    long totalGrpc = 0;
    long[][] deltas = new long[instances.size()][];
    for (int i = 0; i < instances.size(); i++) {
      SampleService s = instances.get(i);
      long[] now = {s.receivedHttp(), s.receivedGrpc(), s.received(), s.served(), s.latencyNanos()};
      long[] before = previous.getOrDefault(s.name(), new long[5]);
      long[] d = new long[5];
      for (int k = 0; k < 5; k++) {
        d[k] = now[k] - before[k];
      }
      previous.put(s.name(), now);
      deltas[i] = d;
      totalHttp += d[0];
      totalGrpc += d[1];
    }
    for (int i = 0; i < instances.size(); i++) {
      SampleService s = instances.get(i);
      long[] d = deltas[i];
      sb.append(String.format(Locale.ROOT, "%-10s %-7s %-5s %-8s %9s %9s %8s %9s  %s%n",
          s.name(), s.version(), s.zone(), s.running() ? "up" : "DOWN",
          share(d[0], totalHttp), share(d[1], totalGrpc),
          d[2] == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100.0 * d[3] / d[2]),
          d[2] == 0 ? "-" : String.format(Locale.ROOT, "%.1f", d[4] / 1e6 / d[2]),
          callerView(s)));
    }
    sb.append(String.format(Locale.ROOT, "%ncaller: http %d requests, %d failed | grpc %d requests, %d failed%n",
        http.requests(), http.failures(), grpc.requests(), grpc.failures()));
    for (String service : services) {
      ServiceHandle.Stats st = mesh.service(service).stats();
      sb.append(String.format(Locale.ROOT, "  %-12s retries %d (denied %d), rejected %d, ejections %d%n",
          service, st.retries(), st.retriesDenied(), st.rejections(), st.ejections()));
    }
    if (terminal) {
      sb.append("\nevents:\n");
      for (int i = Math.max(0, events.size() - 8); i < events.size(); i++) {
        sb.append("  ").append(events.get(i)).append('\n');
      }
    }
    out.print(sb);
    out.flush();
  }

  private void snapshotCounters() {
    for (SampleService s : instances) {
      previous.put(s.name(), new long[] {s.receivedHttp(), s.receivedGrpc(), s.received(), s.served(), s.latencyNanos()});
    }
  }

  private static String share(long part, long total) {
    return total == 0 ? "-" : String.format(Locale.ROOT, "%d %3.0f", part, 100.0 * part / total);
  }

  private String callerView(SampleService s) {
    StringBuilder sb = new StringBuilder();
    long now = mesh.ticker().read();
    for (int k = 0; k < services.size(); k++) {
      if (k > 0) {
        sb.append(" | ");
      }
      String wanted = "127.0.0.1:" + (k == 0 ? s.httpPort() : s.grpcPort());
      String state = "-";
      for (Endpoint e : mesh.service(services.get(k)).endpoints()) {
        if (e.address().equals(wanted)) {
          state = (e.isEjected(now) ? "EJECTED" : e.breakerState().name().toLowerCase(Locale.ROOT))
              + " " + e.inFlight();
        }
      }
      sb.append(state);
    }
    return sb.toString();
  }
}
