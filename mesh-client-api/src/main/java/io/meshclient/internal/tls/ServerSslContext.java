package io.meshclient.internal.tls;

import io.meshclient.policy.TlsMode;
import io.meshclient.tls.PeerPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * A server-side {@link SSLContext}: the mesh's key and trust managers, and every server-side
 * socket, server socket and engine made from it speaks TLS 1.3 and asks for the client's
 * certificate, as the inbound policy's mode says at the time it is made: required under STRICT,
 * requested otherwise. The
 * default {@link SSLParameters} say the same, because servers that configure engines from them
 * (the JDK {@code HttpsServer}'s default {@code HttpsConfigurator}) would otherwise reset it.
 * Servers that set client authentication themselves (Netty's {@code ClientAuth}, Jetty's
 * {@code SslContextFactory}) only ever add to it.
 */
public final class ServerSslContext extends SSLContext {

  private ServerSslContext(SSLContext delegate, PeerPolicy inbound) {
    super(new Spi(delegate, inbound), delegate.getProvider(), delegate.getProtocol());
  }

  /** Wraps {@code delegate}, already initialized with the mesh's managers. */
  public static SSLContext create(SSLContext delegate, PeerPolicy inbound) {
    return new ServerSslContext(delegate, inbound);
  }

  private static final String[] TLS_1_3 = {"TLSv1.3"};

  /**
   * TLS 1.3 only (TLS 1.2 would resume sessions by ID, skipping the client's certificate check),
   * and client authentication as the inbound mode is now: required under STRICT, else requested.
   */
  private static SSLParameters withClientAuth(SSLParameters p, PeerPolicy inbound) {
    p.setProtocols(TLS_1_3);
    if (inbound.mode() == TlsMode.STRICT) {
      p.setNeedClientAuth(true);
    } else {
      p.setWantClientAuth(true);
    }
    return p;
  }

  private static final class Spi extends SSLContextSpi {
    private final SSLContext delegate;
    private final PeerPolicy inbound;

    Spi(SSLContext delegate, PeerPolicy inbound) {
      this.delegate = delegate;
      this.inbound = inbound;
    }

    private SSLEngine configure(SSLEngine engine) {
      engine.setSSLParameters(withClientAuth(engine.getSSLParameters(), inbound));
      return engine;
    }

    @Override
    protected void engineInit(
        KeyManager @Nullable [] km, TrustManager @Nullable [] tm, @Nullable SecureRandom random)
        throws KeyManagementException {
      throw new KeyManagementException(
          "this SSLContext is already initialized by MeshCredentials.serverSslContext"
              + " (expected: use it as is; the credentials rotate its key and trust material)");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return new ServerSideSocketFactory(delegate.getSocketFactory(), inbound);
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return new ServerSocketFactory(delegate.getServerSocketFactory(), inbound);
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return configure(delegate.createSSLEngine());
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(@Nullable String host, int port) {
      return configure(delegate.createSSLEngine(host, port));
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return delegate.getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return delegate.getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return withClientAuth(delegate.getDefaultSSLParameters(), inbound);
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return delegate.getSupportedSSLParameters();
    }
  }

  /** Server sockets whose accepted connections ask for the client's certificate. */
  private static final class ServerSocketFactory extends SSLServerSocketFactory {
    private final SSLServerSocketFactory delegate;
    private final PeerPolicy inbound;

    ServerSocketFactory(SSLServerSocketFactory delegate, PeerPolicy inbound) {
      this.delegate = delegate;
      this.inbound = inbound;
    }

    private ServerSocket configure(ServerSocket s) {
      SSLServerSocket ssl = (SSLServerSocket) s;
      ssl.setSSLParameters(withClientAuth(ssl.getSSLParameters(), inbound));
      return ssl;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
      return configure(delegate.createServerSocket());
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return configure(delegate.createServerSocket(port));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
      return configure(delegate.createServerSocket(port, backlog));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, @Nullable InetAddress address)
        throws IOException {
      return configure(delegate.createServerSocket(port, backlog, address));
    }
  }

  /**
   * The context's socket factory: client-mode sockets as usual, and server-mode sockets layered
   * over an accepted connection (a server that sniffs the first bytes to serve TLS and plaintext
   * on one port) ask for the client's certificate.
   */
  private static final class ServerSideSocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final PeerPolicy inbound;

    ServerSideSocketFactory(SSLSocketFactory delegate, PeerPolicy inbound) {
      this.delegate = delegate;
      this.inbound = inbound;
    }

    @Override
    public Socket createSocket(Socket s, @Nullable InputStream consumed, boolean autoClose)
        throws IOException {
      SSLSocket ssl = (SSLSocket) delegate.createSocket(s, consumed, autoClose);
      ssl.setSSLParameters(withClientAuth(ssl.getSSLParameters(), inbound));
      return ssl;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return delegate.createSocket();
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      return delegate.createSocket(s, host, port, autoClose);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return delegate.createSocket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return delegate.createSocket(address, port, localAddress, localPort);
    }
  }
}
