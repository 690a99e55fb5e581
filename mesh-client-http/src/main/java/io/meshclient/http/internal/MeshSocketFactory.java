package io.meshclient.http.internal;

import io.meshclient.policy.TlsMode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.SocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Sockets that take a mesh endpoint's port, and its transport, from the address they are asked to
 * connect to.
 *
 * <p>An {@link EndpointRoute} answers the service name with the endpoint's IP addresses, each
 * carrying the host name {@code service@port}, plus {@code s} or {@code p} when the connection is
 * mutual TLS under a STRICT or PERMISSIVE policy ({@code orders@8443s}); OkHttp pairs them with
 * the URL's port (80 for {@code http://orders/}). A socket made here connects such an address to
 * the port after the {@code @} and, for {@code s}/{@code p}, runs the TLS handshake over it (see
 * {@link ServiceTls}) before OkHttp sees it, so OkHttp speaks HTTP/1.1 over mTLS as over any
 * socket. A host name never contains {@code @}, so every other address connects unchanged, in
 * plaintext. One factory per client with credentials ({@link #INSTANCE} without), set on the
 * client once ({@code MeshHttp.addTo}), so a request pays nothing for it; a client with its own
 * socket factory gets it per attempt instead.
 */
public final class MeshSocketFactory extends SocketFactory {

  /** For clients without credentials: plaintext only. */
  public static final MeshSocketFactory INSTANCE = new MeshSocketFactory(null);

  private final @Nullable MeshTls tls;

  public MeshSocketFactory(@Nullable MeshTls tls) {
    this.tls = tls;
  }

  /** The host name that marks an endpoint's address: {@code service@port}, plus the transport. */
  static String marker(String service, int port, TlsMode transport) {
    return service + '@' + port + suffix(transport);
  }

  private static String suffix(TlsMode transport) {
    switch (transport) {
      case STRICT:
        return "s";
      case PERMISSIVE:
        return "p";
      default:
        return "";
    }
  }

  /** Where a marked address leads: the endpoint's socket address, service and transport. */
  record Target(InetSocketAddress address, String service, TlsMode transport) {
    /** {@code ip:port}, as errors name the endpoint. */
    String endpoint() {
      InetAddress a = address.getAddress();
      String ip = a.getHostAddress();
      return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + address.getPort();
    }
  }

  /** The target {@code to} stands for, or null when it is not a marked address. */
  static @Nullable Target target(SocketAddress to) {
    if (!(to instanceof InetSocketAddress isa) || isa.getAddress() == null) {
      return null;
    }
    String host = isa.getHostString(); // the marker if set; never a reverse lookup
    int at = host.lastIndexOf('@');
    if (at <= 0) {
      return null;
    }
    int end = host.length();
    TlsMode transport = TlsMode.DISABLE;
    char last = host.charAt(end - 1);
    if (last == 's' || last == 'p') {
      transport = last == 's' ? TlsMode.STRICT : TlsMode.PERMISSIVE;
      end--;
    }
    if (end - at - 1 < 1 || end - at - 1 > 5 || !isDigits(host, at + 1, end)) {
      return null;
    }
    int port = Integer.parseInt(host, at + 1, end, 10);
    // A plain socket address: the marker is not a name to resolve or to send in SNI.
    InetSocketAddress address = new InetSocketAddress(plain(isa.getAddress()), port);
    return new Target(address, host.substring(0, at), transport);
  }

  private static InetAddress plain(InetAddress marked) {
    try {
      return InetAddress.getByAddress(marked.getAddress());
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("not an IPv4 or IPv6 address: " + marked, e);
    }
  }

  private static boolean isDigits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  @Nullable MeshTls tls() {
    return tls;
  }

  /** How a socket made here secures a TLS target: this client's credentials. */
  ServiceTls serviceTls(Target target) throws IOException {
    ServiceTls service = tls == null ? null : tls.service(target.service());
    if (service == null) {
      // Routes with a TLS marker are made only by the interceptor that owns this factory.
      throw new IOException(
          "meshclient: no mTLS credentials for service '" + target.service() + "' on this client"
              + " (expected: the socket factory and the interceptor of one MeshHttp.builder)");
    }
    return service;
  }

  @Override
  public Socket createSocket() {
    return new MeshSocket(this);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    Socket s = createSocket();
    s.bind(new InetSocketAddress(localHost, localPort));
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    Socket s = createSocket();
    s.bind(new InetSocketAddress(localAddress, localPort));
    s.connect(new InetSocketAddress(address, port));
    return s;
  }
}
