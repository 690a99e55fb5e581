package io.meshclient.http.internal;

import io.meshclient.Outcome;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import javax.net.ssl.SSLHandshakeException;
import okhttp3.Call;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;

/** Translates how an OkHttp attempt failed into the engine's {@link Outcome}. */
final class Outcomes {

  private Outcomes() {}

  static Outcome classify(IOException e, Call call) {
    if (call.isCanceled()) {
      return Outcome.CANCELLED; // the caller cancelled, or OkHttp's callTimeout fired
    }
    if (e instanceof ConnectException
        || e instanceof UnknownHostException
        || e instanceof NoRouteToHostException
        || e instanceof PortUnreachableException) {
      return Outcome.CONNECT_FAILURE;
    }
    if (e instanceof SSLHandshakeException) {
      // The handshake failed (mTLS refused, a peer that does not speak TLS): no request was
      // processed, so it is as safe to retry elsewhere as a refused connection.
      return Outcome.CONNECT_FAILURE;
    }
    if (e instanceof StreamResetException reset) {
      return reset.errorCode == ErrorCode.REFUSED_STREAM ? Outcome.REFUSED_STREAM : Outcome.RESET;
    }
    if (e instanceof SocketTimeoutException) {
      // The JDK reports a connect timeout as "Connect timed out": nothing was sent, so it is a
      // connect failure (always safe to retry), not a timeout of a request in flight.
      String m = e.getMessage();
      return m != null && m.toLowerCase(Locale.ROOT).contains("connect timed out")
          ? Outcome.CONNECT_FAILURE
          : Outcome.TIMEOUT;
    }
    if (e instanceof InterruptedIOException) {
      return Outcome.TIMEOUT; // okio's "timeout" for a read or write deadline
    }
    if (e instanceof ProtocolException) {
      return Outcome.PROTOCOL_ERROR; // malformed status line, headers or framing
    }
    return Outcome.RESET; // connection reset, broken pipe, unexpected end of stream
  }
}
