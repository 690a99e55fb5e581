package io.meshclient.grpc.internal;

import java.security.cert.CertificateException;
import java.util.Locale;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Reads why a TLS handshake failed out of a transport's exception chain, so a caller sees the
 * trust manager's own words (which identity was presented and which were expected, an untrusted or
 * expired certificate) rather than the engine's generic "General OpenSslEngine problem".
 */
final class TlsFailures {

  private TlsFailures() {}

  /** Why the handshake failed, or null when {@code cause} is not a TLS handshake failure. */
  static @Nullable String describe(@Nullable Throwable cause) {
    boolean tls = false;
    String verdict = null;
    String transport = null;
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getClass().getSimpleName().equals("NotSslRecordException")) {
        // Netty's (maybe shaded) error for bytes that are not TLS: the peer speaks plaintext.
        return "the endpoint does not speak TLS (a plaintext server?): " + firstLine(t);
      } else if (t instanceof CertificateException) {
        if (verdict == null) {
          verdict = t.getMessage(); // the outermost is the trust manager's own
        }
      } else if (t instanceof SSLException) {
        tls = true;
        if (transport == null) {
          transport = t.getMessage();
        }
      }
    }
    if (verdict != null) {
      return verdict;
    }
    if (tls && transport != null && transport.toLowerCase(Locale.ROOT).contains("alert")) {
      // The peer's trust manager said no; a TLS alert carries only a code, its reason stays in
      // the peer's log.
      return "the peer refused the handshake ("
          + transport
          + "): it may not trust or allow this workload's certificate (its reason is in its log)";
    }
    return tls ? transport : null;
  }

  private static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
