package io.meshclient.http.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A TCP socket that, once asked to, remembers the first bytes its peer sent: whether a failed TLS
 * handshake met a TLS peer (every TLS record starts with a content type 20..23, and a TLS server
 * answers a ClientHello with one) or something else, such as a plaintext HTTP server's
 * {@code HTTP/1.1 400}.
 */
final class FirstBytesSocket extends java.net.Socket {

  private static final int KEPT = 48;
  private final byte[] first = new byte[KEPT];
  private volatile int kept;
  private boolean recording;
  private @Nullable InputStream in;

  /** Records the first bytes read through {@link #getInputStream} from now on. */
  void recordFirstBytes() {
    recording = true;
  }

  @Override
  public synchronized InputStream getInputStream() throws IOException {
    InputStream raw = super.getInputStream();
    if (!recording) {
      return raw;
    }
    if (in == null) {
      in = new Recorder(raw);
    }
    return in;
  }

  /**
   * Reads, without waiting, more of what the peer already sent (up to what is kept): a TLS
   * handshake that failed at a plaintext answer read only a record header's worth of it.
   */
  void keepAvailableBytes() {
    InputStream recorder = in;
    try {
      int n = recorder == null ? 0 : Math.min(recorder.available(), KEPT - kept);
      if (n > 0) {
        recorder.read(new byte[n], 0, n);
      }
    } catch (IOException e) {
      // nothing more to show
    }
  }

  /** Whether the peer's first byte opens a TLS record. */
  boolean peerSpokeTls() {
    return kept > 0 && first[0] >= 20 && first[0] <= 23;
  }

  /** What the peer sent first, printable ASCII quoted, else hex; null when it sent nothing. */
  @Nullable String firstBytes() {
    int n = kept;
    if (n == 0) {
      return null;
    }
    boolean printable = true;
    for (int i = 0; i < n; i++) {
      byte b = first[i];
      printable &= b >= 0x20 && b < 0x7f || b == '\r' || b == '\n';
    }
    if (printable) {
      String s = new String(first, 0, n, StandardCharsets.US_ASCII);
      int eol = s.indexOf('\r');
      return "\"" + (eol >= 0 ? s.substring(0, eol) : s) + "\"";
    }
    StringBuilder hex = new StringBuilder("0x");
    for (int i = 0; i < n; i++) {
      hex.append(String.format("%02x", first[i] & 0xff));
    }
    return hex.toString();
  }

  private final class Recorder extends FilterInputStream {
    Recorder(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0 && kept < KEPT) {
        first[kept] = (byte) b;
        kept++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0 && kept < KEPT) {
        int copy = Math.min(n, KEPT - kept);
        System.arraycopy(b, off, first, kept, copy);
        kept += copy;
      }
      return n;
    }
  }
}
