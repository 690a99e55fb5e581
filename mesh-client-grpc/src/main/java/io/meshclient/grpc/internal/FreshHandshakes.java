package io.meshclient.grpc.internal;

import java.lang.reflect.Method;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Keeps TLS session resumption from bypassing the mesh's live checks. A resumed session skips the
 * certificate exchange: the client re-presents nothing and no trust manager is asked, so a rotated
 * identity would not be used, and a dropped root, a changed {@code identities} list or an expired
 * certificate would not be noticed, for as long as the session can be renewed. grpc's Netty
 * transport caches client sessions under the channel's authority (the service name, the same for
 * every endpoint) and servers issue TLS 1.3 tickets, so by default every new connection to a
 * service resumed the first session: a server kept seeing the first client certificate across
 * every rotation, and a client kept accepting a server its policy no longer allowed (both are
 * tests in {@code MutualTlsTest}).
 *
 * <p>grpc's {@code TlsChannelCredentials} and {@code TlsServerCredentials} offer no session
 * settings, and the TLS context is built inside the transport. So this trust manager, at the first
 * full handshake it checks, turns resumption off for the context it serves, through the handshake
 * session's {@link SSLSessionContext}: Netty's OpenSSL contexts (shaded in grpc-netty-shaded or
 * not) by their public {@code setSessionCacheEnabled(false)}, which stops sessions from being
 * cached (BoringSSL fixes a session's lifetime when it is made, so a shorter timeout would not
 * reach the first one); the JDK's by the shortest session timeout the API allows, which the JDK
 * applies to cached sessions too. That first check runs before the first session is stored.
 * Every check is then delegated unchanged. Each new connection costs a full handshake, as it must
 * for the checks to hold.
 */
public final class FreshHandshakes extends X509ExtendedTrustManager {

  private static final System.Logger LOG = System.getLogger(FreshHandshakes.class.getName());

  /** The shortest lifetime the API allows (0 means unlimited). */
  static final int SESSION_SECONDS = 1;

  private final X509ExtendedTrustManager delegate;

  /** The context whose resumption is off already (one per TLS context; a trust manager has one). */
  private volatile @Nullable SSLSessionContext done;

  private FreshHandshakes(X509ExtendedTrustManager delegate) {
    this.delegate = delegate;
  }

  /** {@code trustManager}, with session resumption turned off for the contexts it serves. */
  public static X509ExtendedTrustManager of(X509ExtendedTrustManager trustManager) {
    return new FreshHandshakes(trustManager);
  }

  private void limit(@Nullable SSLSession handshake) {
    SSLSessionContext context = handshake == null ? null : handshake.getSessionContext();
    if (context == null || context == done) {
      return;
    }
    noResumption(context);
    done = context;
  }

  /** Turns resumption off for {@code context}. */
  static void noResumption(SSLSessionContext context) {
    context.setSessionTimeout(SESSION_SECONDS);
    try {
      Method netty = context.getClass().getMethod("setSessionCacheEnabled", boolean.class);
      netty.invoke(context, false);
    } catch (NoSuchMethodException e) {
      // Not Netty's OpenSSL context: the JDK's honours the timeout for cached sessions too.
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "meshclient: could not turn TLS session resumption off for "
              + context.getClass().getName()
              + " (expected: Netty's OpenSSL or the JDK's context); resumed connections may skip"
              + " certificate checks",
          e);
    }
  }

  private void limit(@Nullable Socket socket) {
    if (socket instanceof SSLSocket s) {
      limit(s.getHandshakeSession());
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    limit(engine.getHandshakeSession());
    delegate.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    limit(engine.getHandshakeSession());
    delegate.checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    limit(socket);
    delegate.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    limit(socket);
    delegate.checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }
}
