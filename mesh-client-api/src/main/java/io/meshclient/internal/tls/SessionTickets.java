package io.meshclient.internal.tls;

import javax.net.ssl.SSLContext;

/**
 * Turning TLS session resumption off, in the one way the JDK offers. Resumption skips the
 * certificate checks, so a rotated identity, a new trust bundle or a changed policy would not apply
 * to a resumed connection. TLS 1.3 resumes only with session tickets, and the JDK neither issues
 * nor keeps tickets when the session cache's timeout exceeds their 7-day lifetime limit (RFC 8446
 * 4.6.1). Used by the mesh's own contexts and by the config server's TLS port.
 */
public final class SessionTickets {

  /** A session timeout longer than the 7-day ticket lifetime limit: no tickets. */
  public static final int OFF_TIMEOUT_SECONDS = 8 * 24 * 3600;

  private SessionTickets() {}

  /** No tickets issued or kept by {@code context}, client side and server side. */
  public static void off(SSLContext context) {
    context.getClientSessionContext().setSessionTimeout(OFF_TIMEOUT_SECONDS);
    context.getServerSessionContext().setSessionTimeout(OFF_TIMEOUT_SECONDS);
  }
}
