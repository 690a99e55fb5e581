package io.meshclient.http.testing;

import io.meshclient.tls.SpiffeId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * A loopback HTTP/1.1 server for mTLS tests, on a server-side {@link SSLContext} (from {@code
 * MeshCredentials.serverSslContext}). It speaks TLS only, or, like a mesh workload in PERMISSIVE
 * mode migrating to mTLS, TLS and plaintext on one port (it sniffs the first byte: 0x16 opens a
 * TLS handshake). Every GET is answered {@code 200} with the body {@code "<name> tls <caller
 * SPIFFE ID> <server cert serial>"} or {@code "<name> plain"}, and the server records the
 * caller's certificate serial per TLS connection. Keep-alive; one thread per connection.
 */
public final class MtlsHttpServer implements AutoCloseable {

  private final String name;
  private final SSLContext tls;
  private final boolean acceptPlaintext;
  private final ServerSocket listener;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  /** The caller certificate serial of each TLS connection, in order. */
  public final List<BigInteger> callerSerials = new CopyOnWriteArrayList<>();
  public final AtomicInteger requests = new AtomicInteger();
  public final AtomicInteger failedHandshakes = new AtomicInteger();
  /** Connections opened before the last {@link #drain} answer their next request and close. */
  private final AtomicInteger drains = new AtomicInteger();

  public MtlsHttpServer(String name, SSLContext tls, boolean acceptPlaintext) throws IOException {
    this.name = name;
    this.tls = tls;
    this.acceptPlaintext = acceptPlaintext;
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "mtls-http-accept-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Drains the open connections gracefully, as a server does after rotating its certificate: each
   * answers its next request with {@code Connection: close} and closes, so that clients reconnect
   * and see the new certificate. No request fails for it.
   */
  public void drain() {
    drains.incrementAndGet();
  }

  public int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket s = listener.accept();
        s.setTcpNoDelay(true);
        open.add(s);
        Thread t = new Thread(() -> serve(s), "mtls-http-conn-" + name);
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket tcp) {
    Socket s = tcp;
    int drainsAtStart = drains.get();
    try {
      InputStream in = tcp.getInputStream();
      int first = in.read();
      if (first < 0) {
        return;
      }
      String transport = "plain";
      byte[] consumed = {(byte) first};
      if (first == 0x16 || !acceptPlaintext) {
        SSLSocket ssl =
            (SSLSocket) tls.getSocketFactory().createSocket(tcp, new ByteArrayInputStream(consumed), true);
        s = ssl;
        try {
          ssl.startHandshake();
          in = ssl.getInputStream();
        } catch (IOException e) {
          failedHandshakes.incrementAndGet();
          return;
        }
        SSLSession session = ssl.getSession();
        SpiffeId caller = SpiffeId.fromSession(session);
        BigInteger serial = serial(peerCertificates(session));
        if (serial != null) {
          callerSerials.add(serial);
        }
        transport = "tls " + caller + " " + serial(session.getLocalCertificates());
        consumed = new byte[0];
      }
      serveRequests(consumed, in, s.getOutputStream(), (name + " " + transport).getBytes(StandardCharsets.UTF_8), drainsAtStart);
    } catch (IOException e) {
      // the client closed the connection
    } finally {
      open.remove(tcp);
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private static Certificate @Nullable [] peerCertificates(SSLSession session) {
    try {
      return session.getPeerCertificates();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private static @Nullable BigInteger serial(Certificate @Nullable [] chain) {
    return chain == null || chain.length == 0 ? null : ((X509Certificate) chain[0]).getSerialNumber();
  }

  /** GETs without bodies: each request ends at the first CRLF CRLF. */
  private void serveRequests(byte[] consumed, InputStream in, OutputStream out, byte[] body, int drainsAtStart)
      throws IOException {
    String headers = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n";
    byte[] head = (headers + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] lastHead = (headers + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    int matched = 0;
    byte[] buf = new byte[8192];
    int n = consumed.length;
    System.arraycopy(consumed, 0, buf, 0, n);
    do {
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (b == (matched % 2 == 0 ? '\r' : '\n')) {
          matched++;
        } else {
          matched = b == '\r' ? 1 : 0;
        }
        if (matched == 4) {
          requests.incrementAndGet();
          boolean last = drains.get() != drainsAtStart;
          out.write(last ? lastHead : head);
          out.write(body);
          out.flush();
          if (last) {
            return;
          }
          matched = 0;
        }
      }
    } while ((n = in.read(buf)) > 0);
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
