package io.meshclient.http.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.SocketFactory;

/**
 * Plain sockets that take a mesh endpoint's port from the address they are asked to connect to.
 *
 * <p>An {@link EndpointRoute} answers the service name with the endpoint's IP addresses, each
 * carrying the host name {@code service@port}; OkHttp pairs them with the URL's port (80 for
 * {@code http://orders/}). When a socket made here connects to such an address, it uses the port
 * after the {@code @} instead. A host name never contains {@code @}, so every other address
 * connects unchanged. {@link #INSTANCE} is set on the client once ({@code MeshHttp.addTo}), so a
 * request pays nothing for it; a client with its own socket factory gets it per attempt instead.
 */
public final class MeshSocketFactory extends SocketFactory {

  public static final MeshSocketFactory INSTANCE = new MeshSocketFactory();

  private MeshSocketFactory() {}

  /** The host name that marks an endpoint's address: {@code service@port}. */
  static String marker(String service, int port) {
    return service + '@' + port;
  }

  /** The endpoint address {@code to} stands for, or {@code to} itself when it is not marked. */
  static SocketAddress target(SocketAddress to) {
    if (to instanceof InetSocketAddress isa) {
      String host = isa.getHostString(); // the marker if set; never a reverse lookup
      int at = host.lastIndexOf('@');
      if (at > 0 && at < host.length() - 1 && isDigits(host, at + 1)) {
        return new InetSocketAddress(isa.getAddress(), Integer.parseInt(host, at + 1, host.length(), 10));
      }
    }
    return to;
  }

  private static boolean isDigits(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return s.length() - from <= 5;
  }

  @Override
  public Socket createSocket() {
    return new MeshSocket();
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

  private static final class MeshSocket extends Socket {
    @Override
    public void connect(SocketAddress to, int timeout) throws IOException {
      super.connect(target(to), timeout);
    }
  }
}
