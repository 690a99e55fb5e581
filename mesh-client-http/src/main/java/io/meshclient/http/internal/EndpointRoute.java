package io.meshclient.http.internal;

import io.meshclient.Endpoint;
import io.meshclient.policy.TlsMode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Dns;
import okhttp3.HttpUrl;

/**
 * How OkHttp reaches one endpoint without rewriting the request's URL.
 *
 * <p>The request keeps its logical URL ({@code http://orders/path}); each attempt runs on a chain
 * whose {@link Dns} is this endpoint's ({@code chain.withDns(route)}). OkHttp keys its connection
 * pool by {@code Address}, which includes the {@code Dns} instance, so every endpoint gets its own
 * pooled connections and a pick is never overridden by a connection to another endpoint. This DNS
 * answers the service name with the endpoint's addresses, each marked with the host name {@code
 * service@port}; {@link MeshSocketFactory} connects such an address to that port instead of the
 * URL's. One chain copy (~110 B) instead of an {@code HttpUrl} and {@code Request} rebuild
 * (~1.2 KB, ~1 µs).
 *
 * <p>The transport is part of the marker too ({@code orders@8443s} for mTLS under STRICT): one
 * instance per {@link Endpoint} and transport, cached by identity, so connections of different
 * transports never share a pool entry (a policy flip DISABLE→STRICT never reuses a plaintext
 * connection). OkHttp's {@code Address} does not compare socket factories, so the DNS is what
 * keeps them apart.
 *
 * <p>Hosts other than the service (a redirect elsewhere) resolve through the client's own DNS.
 */
final class EndpointRoute implements Dns {

  private static final java.util.concurrent.atomic.AtomicLong ROUTE_IDS = new java.util.concurrent.atomic.AtomicLong();

  final Endpoint endpoint;
  final TlsMode transport;
  private final String service;
  private final String marker;
  /** The URL host of retries on this route; answered by {@link #lookup} like the service name. */
  private final String retryHost;
  private final int port;
  private final Dns clientDns;
  /** The endpoint's address when its host is an IP literal (parsed once, marked); else empty. */
  private final List<InetAddress> literal;
  /** Per-endpoint telemetry state (precomputed span attributes), owned by {@link HttpTelemetry}. */
  final @org.jspecify.annotations.Nullable Object telemetry;

  EndpointRoute(Endpoint endpoint, TlsMode transport, Dns clientDns, HttpTelemetry telemetry) {
    this.endpoint = endpoint;
    this.transport = transport;
    this.service = endpoint.service();
    this.port = endpoint.port();
    this.marker = MeshSocketFactory.marker(service, port, transport);
    this.retryHost = "meshclient-route-" + ROUTE_IDS.incrementAndGet() + ".invalid";
    this.clientDns = clientDns;
    this.literal = isIpLiteral(endpoint.host()) ? List.of(marked(literalAddress())) : List.of();
    this.telemetry = telemetry.endpointState(endpoint);
  }

  private static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true; // IPv6: host names never contain ':'
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c != '.' && (c < '0' || c > '9')) {
        return false;
      }
    }
    return true;
  }

  private InetAddress literalAddress() {
    try {
      return InetAddress.getByName(endpoint.host()); // a literal is parsed, not looked up
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "endpoint " + endpoint.address() + " of service " + service + " is not a valid IP literal", e);
    }
  }

  private InetAddress marked(InetAddress a) {
    try {
      return InetAddress.getByAddress(marker, a.getAddress());
    } catch (UnknownHostException e) {
      throw new IllegalStateException("not an IPv4 or IPv6 address: " + a, e);
    }
  }

  /**
   * The request for an attempt after the first: its URL names this route ({@code
   * http://meshclient-route-7.invalid:8080/path}), its {@code Host} header still the service.
   * Within one OkHttp call, a later pass of the chain reuses the connection the call already
   * holds whenever the URL's host and port are unchanged (OkHttp's {@code RealRoutePlanner}); a
   * 503 leaves that connection healthy, so a retry under the logical URL would go back to the
   * endpoint that refused. The host is a name this route's DNS answers, not the endpoint's IP:
   * OkHttp connects to an IP literal without asking the DNS, so the connection would miss the
   * marker (and with it the port mapping and mTLS). Rare path: only retries pay for the URL
   * rebuild.
   */
  okhttp3.Request retryRequest(okhttp3.Request request) {
    HttpUrl url = request.url();
    okhttp3.Request.Builder b =
        request.newBuilder().url(url.newBuilder().host(retryHost).port(port).build());
    if (request.header("Host") == null) {
      b.header(
          "Host",
          url.port() == HttpUrl.defaultPort(url.scheme()) ? url.host() : url.host() + ":" + url.port());
    }
    return b.build();
  }

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    // The service name, or this route's retry host (see retryRequest): both lead to the marked
    // addresses, which carry the port and the transport.
    if (!hostname.equals(service) && !hostname.equals(retryHost)) {
      return clientDns.lookup(hostname);
    }
    if (!literal.isEmpty()) {
      return literal;
    }
    // A named endpoint resolves when OkHttp opens a connection to it (never per request).
    InetAddress[] resolved = InetAddress.getAllByName(endpoint.host());
    List<InetAddress> out = new ArrayList<>(resolved.length);
    for (InetAddress a : resolved) {
      out.add(marked(a));
    }
    return out;
  }

  @Override
  public String toString() {
    return "meshclient route to " + service + " endpoint " + endpoint.address()
        + (transport == TlsMode.DISABLE ? "" : " (mTLS, " + transport + ")");
  }
}
