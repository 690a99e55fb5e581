package io.meshclient.http.internal;

import io.meshclient.ServiceHandle;
import io.meshclient.policy.TlsMode;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Mutual TLS to one service's endpoints, on the client side: one TLS context per mode, made on
 * first use and kept (its key and trust managers read the credentials' current identity and
 * roots, and the service's current identities, at each handshake), and the handshake each new
 * connection runs before OkHttp uses it.
 */
final class ServiceTls {

  private static final String[] TLS_1_3 = {"TLSv1.3"};

  private final ServiceHandle handle;
  private final MeshCredentials credentials;
  private volatile @Nullable SSLSocketFactory strict;
  private volatile @Nullable SSLSocketFactory permissive;
  /** PERMISSIVE endpoints already reported as plaintext: each is reported once. */
  private final Set<String> reportedPlaintext = ConcurrentHashMap.newKeySet();

  ServiceTls(ServiceHandle handle, MeshCredentials credentials) {
    this.handle = handle;
    this.credentials = credentials;
  }

  private SSLSocketFactory factory(TlsMode mode) {
    SSLSocketFactory f = mode == TlsMode.STRICT ? strict : permissive;
    if (f == null) {
      synchronized (this) {
        f = mode == TlsMode.STRICT ? strict : permissive;
        if (f == null) {
          // The mode is the connection's (it chose the route); the allowed identities stay live.
          f = credentials.sslContext(PeerPolicy.of(handle, mode)).getSocketFactory();
          if (mode == TlsMode.STRICT) {
            strict = f;
          } else {
            permissive = f;
          }
        }
      }
    }
    return f;
  }

  /**
   * Runs the client handshake over {@code tcp}, just connected to {@code target}, and returns the
   * TLS socket; under PERMISSIVE, when the peer does not speak TLS, returns a new plaintext
   * connection to it instead (and reports that once per endpoint).
   *
   * @throws SSLHandshakeException naming the service, the endpoint and why (under PERMISSIVE only
   *     when the peer speaks TLS but the handshake failed)
   */
  Socket secure(FirstBytesSocket tcp, MeshSocketFactory.Target target, int connectTimeout)
      throws IOException {
    int readTimeout = tcp.getSoTimeout();
    tcp.recordFirstBytes();
    // No SNI or host name check: the peer is checked by its SPIFFE ID, not by a DNS name. The TCP
    // socket stays open when the handshake fails, to read what a plaintext peer answered.
    SSLSocket tls = (SSLSocket) factory(target.transport()).createSocket(tcp, null, target.address().getPort(), false);
    try {
      tls.setUseClientMode(true);
      tls.setEnabledProtocols(TLS_1_3);
      tls.startHandshake();
      return tls; // MeshSocket closes both
    } catch (IOException e) {
      if (tcp.isClosed()) {
        throw e; // closed on this side (the call was cancelled): nothing to say about the peer
      }
      tcp.keepAvailableBytes();
      closeQuietly(tls);
      closeQuietly(tcp);
      return plaintextOrThrow(tcp, target, e, readTimeout, connectTimeout);
    }
  }

  /** After a failed handshake: why, in an exception, or under PERMISSIVE a plaintext connection. */
  private Socket plaintextOrThrow(
      FirstBytesSocket tcp, MeshSocketFactory.Target target, IOException e, int readTimeout, int connectTimeout)
      throws IOException {
    String failed = "meshclient: mTLS to service '" + handle.name() + "' endpoint " + target.endpoint() + " failed: ";
    if (tcp.peerSpokeTls()) {
      throw handshakeFailed(failed + e.getMessage(), e);
    }
    boolean silent = tcp.firstBytes() == null && e instanceof SocketTimeoutException;
    if (target.transport() == TlsMode.STRICT) {
      throw handshakeFailed(
          silent
              ? failed + "no answer to the TLS ClientHello within " + readTimeout + " ms"
              : "meshclient: service '" + handle.name() + "' requires mTLS (tls: STRICT) but endpoint "
                  + target.endpoint() + " does not speak TLS: it " + answer(tcp, e, readTimeout)
                  + " (expected: a TLS 1.3 handshake; no plaintext fallback under STRICT)",
          e);
    }
    if (reportedPlaintext.add(target.endpoint())) {
      credentials.report(
          "PERMISSIVE: service '" + handle.name() + "' endpoint " + target.endpoint()
              + " does not speak TLS (it " + answer(tcp, e, readTimeout) + "): calling it in plaintext");
    }
    Socket plain = new Socket();
    plain.setSoTimeout(readTimeout);
    plain.connect(target.address(), connectTimeout);
    return plain;
  }

  private static String answer(FirstBytesSocket tcp, IOException e, int readTimeout) {
    String first = tcp.firstBytes();
    if (first != null) {
      return "answered " + first;
    }
    if (e instanceof SocketTimeoutException) {
      return "did not answer the TLS ClientHello within " + readTimeout + " ms";
    }
    return "closed the connection without answering the TLS ClientHello";
  }

  private static SSLHandshakeException handshakeFailed(String message, IOException cause) {
    SSLHandshakeException e = new SSLHandshakeException(message);
    e.initCause(cause);
    return e;
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already failing
    }
  }
}
