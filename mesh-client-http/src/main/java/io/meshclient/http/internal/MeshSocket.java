package io.meshclient.http.internal;

import io.meshclient.policy.TlsMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * The socket OkHttp gets for a connection: a TCP socket ({@link FirstBytesSocket}) and, for a
 * mesh endpoint under mTLS, the TLS socket layered over it, chosen when it connects (OkHttp
 * creates the socket before it knows where it goes). Socket-level calls (options, addresses) go
 * to the TCP socket, as an {@link SSLSocket} would send them; reads, writes, shutdowns and close
 * go to the TLS socket when there is one.
 */
final class MeshSocket extends Socket {

  private final MeshSocketFactory factory;
  private volatile Socket tcp = new FirstBytesSocket();
  /** What OkHttp reads and writes: {@link #tcp}, or the TLS socket over it. */
  private volatile Socket io = tcp;

  private volatile boolean closed;
  /** For an mTLS connection: the client's TLS state and the identity generation it was made in. */
  private volatile @Nullable MeshTls tls;
  private int generation;

  MeshSocket(MeshSocketFactory factory) {
    this.factory = factory;
  }

  @Override
  public void connect(SocketAddress to) throws IOException {
    connect(to, 0);
  }

  @Override
  public void connect(SocketAddress to, int timeout) throws IOException {
    MeshSocketFactory.Target target = MeshSocketFactory.target(to);
    if (target == null) {
      tcp.connect(to, timeout);
      return;
    }
    tcp.connect(target.address(), timeout);
    if (target.transport() == TlsMode.DISABLE) {
      return;
    }
    // The handshake and close_notify go out as several small writes: with Nagle on, each waits for
    // the peer's delayed ACK (40 ms on Linux), which made a new mTLS connection cost ~100 ms.
    tcp.setTcpNoDelay(true);
    MeshTls owner = factory.tls();
    int madeIn = owner == null ? 0 : owner.generation(); // read first: a rotation during the handshake retires it
    Socket secured = factory.serviceTls(target).secure((FirstBytesSocket) tcp, target, timeout);
    if (secured instanceof SSLSocket) {
      generation = madeIn;
      tls = owner;
    } else {
      tcp = secured; // PERMISSIVE, plaintext peer: a new plain connection
    }
    io = secured;
    if (closed) {
      secured.close(); // cancelled while the handshake ran
      throw new SocketException("Socket closed");
    }
  }

  @Override
  public void bind(@Nullable SocketAddress local) throws IOException {
    tcp.bind(local);
  }

  @Override
  public @Nullable InetAddress getInetAddress() {
    return tcp.getInetAddress();
  }

  @Override
  public InetAddress getLocalAddress() {
    return tcp.getLocalAddress();
  }

  @Override
  public int getPort() {
    return tcp.getPort();
  }

  @Override
  public int getLocalPort() {
    return tcp.getLocalPort();
  }

  @Override
  public @Nullable SocketAddress getRemoteSocketAddress() {
    return tcp.getRemoteSocketAddress();
  }

  @Override
  public @Nullable SocketAddress getLocalSocketAddress() {
    return tcp.getLocalSocketAddress();
  }

  @Override
  public @Nullable SocketChannel getChannel() {
    return null; // blocking streams only: a channel would bypass TLS
  }

  @Override
  public InputStream getInputStream() throws IOException {
    return io.getInputStream();
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return io.getOutputStream();
  }

  @Override
  public void setTcpNoDelay(boolean on) throws SocketException {
    tcp.setTcpNoDelay(on);
  }

  @Override
  public boolean getTcpNoDelay() throws SocketException {
    return tcp.getTcpNoDelay();
  }

  @Override
  public void setSoLinger(boolean on, int linger) throws SocketException {
    tcp.setSoLinger(on, linger);
  }

  @Override
  public int getSoLinger() throws SocketException {
    return tcp.getSoLinger();
  }

  @Override
  public void sendUrgentData(int data) throws IOException {
    io.sendUrgentData(data);
  }

  @Override
  public void setOOBInline(boolean on) throws SocketException {
    tcp.setOOBInline(on);
  }

  @Override
  public boolean getOOBInline() throws SocketException {
    return tcp.getOOBInline();
  }

  @Override
  public void setSoTimeout(int timeout) throws SocketException {
    tcp.setSoTimeout(timeout); // a TLS socket reads through the TCP socket's timeout
  }

  @Override
  public int getSoTimeout() throws SocketException {
    return tcp.getSoTimeout();
  }

  @Override
  public void setSendBufferSize(int size) throws SocketException {
    tcp.setSendBufferSize(size);
  }

  @Override
  public int getSendBufferSize() throws SocketException {
    return tcp.getSendBufferSize();
  }

  @Override
  public void setReceiveBufferSize(int size) throws SocketException {
    tcp.setReceiveBufferSize(size);
  }

  @Override
  public int getReceiveBufferSize() throws SocketException {
    return tcp.getReceiveBufferSize();
  }

  @Override
  public void setKeepAlive(boolean on) throws SocketException {
    tcp.setKeepAlive(on);
  }

  @Override
  public boolean getKeepAlive() throws SocketException {
    return tcp.getKeepAlive();
  }

  @Override
  public void setTrafficClass(int tc) throws SocketException {
    tcp.setTrafficClass(tc);
  }

  @Override
  public int getTrafficClass() throws SocketException {
    return tcp.getTrafficClass();
  }

  @Override
  public void setReuseAddress(boolean on) throws SocketException {
    tcp.setReuseAddress(on);
  }

  @Override
  public boolean getReuseAddress() throws SocketException {
    return tcp.getReuseAddress();
  }

  @Override
  public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    tcp.setPerformancePreferences(connectionTime, latency, bandwidth);
  }

  @Override
  public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
    tcp.setOption(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    return tcp.getOption(name);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    return tcp.supportedOptions();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    try {
      io.close(); // a TLS socket closes the TCP socket under it
    } finally {
      tcp.close();
    }
  }

  @Override
  public void shutdownInput() throws IOException {
    io.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    io.shutdownOutput();
  }

  @Override
  public boolean isConnected() {
    return tcp.isConnected();
  }

  @Override
  public boolean isBound() {
    return tcp.isBound();
  }

  @Override
  public boolean isClosed() {
    return closed || io.isClosed();
  }

  @Override
  public boolean isInputShutdown() {
    return io.isInputShutdown();
  }

  /**
   * Also true for an mTLS connection made before the client's latest identity update: it takes
   * no new request. OkHttp checks this when it takes a connection from its pool for a new
   * exchange (never during one), finds the connection unfit, closes it and opens a new one that
   * presents the new certificate; the exchange in flight on it finishes normally.
   */
  @Override
  public boolean isOutputShutdown() {
    MeshTls t = tls;
    return (t != null && t.generation() != generation) || io.isOutputShutdown();
  }

  @Override
  public String toString() {
    return io == tcp ? tcp.toString() : "mTLS " + io;
  }
}
