package io.meshclient.config.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts the roots a supplier gives at each handshake (for the config port, whose certificate the
 * CA re-issues from the new root during a rotation), with the JDK's own checks, host name
 * included, on top of them. The JDK trust manager is rebuilt only when the roots change.
 */
public final class LiveRootsTrustManager extends X509ExtendedTrustManager {

  private final Supplier<List<X509Certificate>> roots;
  private volatile Built built;

  private record Built(List<X509Certificate> roots, X509ExtendedTrustManager jdk) {}

  public LiveRootsTrustManager(Supplier<List<X509Certificate>> roots) {
    this.roots = roots;
    this.built = build(roots.get());
  }

  private static Built build(List<X509Certificate> roots) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("roots: empty (expected at least one CA certificate)");
    }
    X509TrustManager tm = Certificates.trustManager(roots);
    // The JDK's default factory makes an extended manager (the one that checks host names).
    return new Built(List.copyOf(roots), (X509ExtendedTrustManager) tm);
  }

  private X509ExtendedTrustManager current() {
    List<X509Certificate> now = roots.get();
    Built b = built;
    if (!b.roots.equals(now)) {
      b = build(now);
      built = b;
    }
    return b.jdk;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    current().checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    current().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    current().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    current().checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return current().getAcceptedIssuers();
  }
}
