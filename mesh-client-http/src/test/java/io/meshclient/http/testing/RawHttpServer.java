package io.meshclient.http.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A loopback HTTP/1.1 server that answers every request on a connection with a fixed 200 "ok" and
 * allocates nothing per request, so client-side allocation figures are not blurred by the server.
 * One thread per connection. Shared by the adapter's allocation test and the JMH benchmark.
 */
public final class RawHttpServer implements AutoCloseable {
  private static final byte[] RESPONSE =
      ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
          .getBytes(StandardCharsets.US_ASCII);

  private final ServerSocket listener;

  public RawHttpServer() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "raw-http-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket s = listener.accept();
        s.setTcpNoDelay(true);
        Thread t = new Thread(() -> serve(s), "raw-http-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  /** Requests are GETs without a body: each ends at the first CRLF CRLF. */
  private static void serve(Socket s) {
    byte[] buf = new byte[8192];
    int matched = 0; // how much of "\r\n\r\n" the bytes so far end with
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          if (b == (matched % 2 == 0 ? '\r' : '\n')) {
            matched++;
          } else {
            matched = b == '\r' ? 1 : 0;
          }
          if (matched == 4) {
            out.write(RESPONSE);
            out.flush();
            matched = 0;
          }
        }
      }
    } catch (IOException e) {
      // the client closed the connection
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
