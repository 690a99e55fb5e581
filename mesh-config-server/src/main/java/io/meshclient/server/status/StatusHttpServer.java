package io.meshclient.server.status;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshclient.config.v1.ServerStatus;
import io.meshclient.server.ca.CaStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The status over HTTP: {@code GET /status} is the {@link ServerStatus} document as JSON (the
 * protobuf JSON mapping, so any protobuf library can read it), {@code GET /} the same as a small
 * HTML page, {@code GET /healthz} answers {@code ok}. Read-only, no authentication: bind it to an
 * internal interface.
 */
public final class StatusHttpServer implements AutoCloseable {

  private final HttpServer http;
  private final ExecutorService executor;

  private StatusHttpServer(HttpServer http, ExecutorService executor) {
    this.http = http;
    this.executor = executor;
  }

  public static StatusHttpServer start(InetSocketAddress address, Supplier<ServerStatus> status) throws IOException {
    return start(address, status, () -> null);
  }

  /** The same, with the CA's part of the document (null when the server runs no CA). */
  public static StatusHttpServer start(InetSocketAddress address, Supplier<ServerStatus> status,
      Supplier<@Nullable CaStatus> ca) throws IOException {
    return start(address, status, Map::of, ca);
  }

  /**
   * The same, with the SPIFFE ID of each node's client certificate, by the node's peer address
   * (see {@link #toJson(ServerStatus, Map, CaStatus)}).
   */
  public static StatusHttpServer start(InetSocketAddress address, Supplier<ServerStatus> status,
      Supplier<Map<String, String>> identities, Supplier<@Nullable CaStatus> ca) throws IOException {
    HttpServer http = HttpServer.create(address, 0);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "meshclient-status-http");
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    http.createContext("/status", ex -> {
      if (!allowGet(ex)) {
        return;
      }
      respond(ex, 200, "application/json", toJson(status.get(), identities.get(), ca.get()));
    });
    http.createContext("/healthz", ex -> respond(ex, 200, "text/plain", "ok\n"));
    http.createContext("/", ex -> {
      if (!allowGet(ex)) {
        return;
      }
      if (!ex.getRequestURI().getPath().equals("/")) {
        respond(ex, 404, "text/plain", "not found; try /status or /\n");
        return;
      }
      respond(ex, 200, "text/html; charset=utf-8", StatusTable.html(status.get(), identities.get(), ca.get()));
    });
    http.start();
    return new StatusHttpServer(http, executor);
  }

  public static String toJson(ServerStatus s) {
    return toJson(s, null);
  }

  /** The status document; with a CA, its facts (never key material) are the member {@code "ca"}. */
  public static String toJson(ServerStatus s, @Nullable CaStatus ca) {
    return toJson(s, Map.of(), ca);
  }

  /**
   * The status document, with each node row whose peer address (its {@code peer}) is a key of
   * {@code identities} carrying the member {@code "spiffeId"}: the SPIFFE ID of the client
   * certificate that connection presented (public, like the certificate itself).
   */
  public static String toJson(ServerStatus s, Map<String, String> identities, @Nullable CaStatus ca) {
    String json;
    try {
      json = NodeIdentityJson.write(s, identities, JsonFormat.printer().alwaysPrintFieldsWithNoPresence());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
    if (ca != null) {
      int end = json.lastIndexOf('}');
      json = json.substring(0, end).stripTrailing() + ",\n  \"ca\": " + CaStatusJson.write(ca) + "\n}";
    }
    return json + "\n";
  }

  /** The CA part of a status document, or null when the server runs no CA. */
  public static @Nullable CaStatus caFromJson(String json) throws InvalidProtocolBufferException {
    return CaStatusJson.read(json);
  }

  /** The {@code "spiffeId"} of each node row of a status document, by the row's peer address. */
  public static Map<String, String> identitiesFromJson(String json) throws InvalidProtocolBufferException {
    return NodeIdentityJson.read(json);
  }

  public static ServerStatus fromJson(String json) throws InvalidProtocolBufferException {
    ServerStatus.Builder b = ServerStatus.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(json, b);
    return b.build();
  }

  private static boolean allowGet(HttpExchange ex) throws IOException {
    if (ex.getRequestMethod().equals("GET") || ex.getRequestMethod().equals("HEAD")) {
      return true;
    }
    ex.getResponseHeaders().set("Allow", "GET, HEAD");
    respond(ex, 405, "text/plain", "method not allowed\n");
    return false;
  }

  private static void respond(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(code, head ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      if (!head) {
        out.write(bytes);
      }
    }
  }

  public int port() {
    return http.getAddress().getPort();
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
  }
}
