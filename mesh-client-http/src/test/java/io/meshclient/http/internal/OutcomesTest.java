package io.meshclient.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Outcome;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import io.meshclient.policy.TlsMode;
import javax.net.ssl.SSLHandshakeException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How OkHttp's exceptions become the engine's outcomes (see docs/http.md). */
class OutcomesTest {

  final OkHttpClient client = new OkHttpClient();
  final Call call = client.newCall(new Request.Builder().url("http://orders/x").build());

  @AfterEach
  void tearDown() {
    client.dispatcher().executorService().shutdown();
  }

  @Test
  void nothingSentIsAConnectFailure() {
    assertThat(Outcomes.classify(new ConnectException("refused"), call)).isEqualTo(Outcome.CONNECT_FAILURE);
    assertThat(Outcomes.classify(new UnknownHostException("orders"), call)).isEqualTo(Outcome.CONNECT_FAILURE);
    assertThat(Outcomes.classify(new NoRouteToHostException(), call)).isEqualTo(Outcome.CONNECT_FAILURE);
    assertThat(Outcomes.classify(new SocketTimeoutException("Connect timed out"), call))
        .isEqualTo(Outcome.CONNECT_FAILURE);
  }

  @Test
  void refusedStreamIsSafeOtherResetsAreNot() {
    assertThat(Outcomes.classify(new StreamResetException(ErrorCode.REFUSED_STREAM), call))
        .isEqualTo(Outcome.REFUSED_STREAM);
    assertThat(Outcomes.classify(new StreamResetException(ErrorCode.CANCEL), call)).isEqualTo(Outcome.RESET);
    assertThat(Outcomes.classify(new SocketException("Connection reset"), call)).isEqualTo(Outcome.RESET);
    assertThat(Outcomes.classify(new EOFException("\\n not found"), call)).isEqualTo(Outcome.RESET);
    assertThat(Outcomes.classify(new IOException("unexpected end of stream"), call)).isEqualTo(Outcome.RESET);
  }

  @Test
  void timeoutsAndMalformedResponses() {
    assertThat(Outcomes.classify(new SocketTimeoutException("Read timed out"), call)).isEqualTo(Outcome.TIMEOUT);
    assertThat(Outcomes.classify(new InterruptedIOException("timeout"), call)).isEqualTo(Outcome.TIMEOUT);
    assertThat(Outcomes.classify(new ProtocolException("Unexpected status line"), call))
        .isEqualTo(Outcome.PROTOCOL_ERROR);
  }

  @Test
  void aCancelledCallIsCancelledWhateverTheException() {
    call.cancel();
    assertThat(Outcomes.classify(new IOException("Canceled"), call)).isEqualTo(Outcome.CANCELLED);
    assertThat(Outcomes.classify(new SocketTimeoutException("timeout"), call)).isEqualTo(Outcome.CANCELLED);
  }

  @Test
  void aFailedHandshakeIsAConnectFailure() {
    assertThat(Outcomes.classify(new SSLHandshakeException("orders: the server presented ..."), call))
        .isEqualTo(Outcome.CONNECT_FAILURE);
  }

  @Test
  void markedAddressesConnectToTheEndpointPortWithTheirTransportOthersUnchanged() throws Exception {
    InetAddress ip = InetAddress.getByAddress(new byte[] {10, 0, 0, 7});
    for (TlsMode transport : TlsMode.values()) {
      InetAddress marked = InetAddress.getByAddress(MeshSocketFactory.marker("orders", 8081, transport), ip.getAddress());
      MeshSocketFactory.Target target = MeshSocketFactory.target(new InetSocketAddress(marked, 80));
      assertThat(target).isNotNull();
      assertThat(target.address()).isEqualTo(new InetSocketAddress(ip, 8081));
      assertThat(target.address().getAddress().getHostAddress()).isEqualTo("10.0.0.7");
      assertThat(target.service()).isEqualTo("orders");
      assertThat(target.transport()).isEqualTo(transport);
      assertThat(target.endpoint()).isEqualTo("10.0.0.7:8081");
    }

    InetSocketAddress plain = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 0, 0, 8}), 80);
    assertThat(MeshSocketFactory.target(plain)).isNull();
    for (String odd : new String[] {"a@b", "a@", "@80", "a@123456", "a@80x", "a@s"}) {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getByAddress(odd, new byte[] {10, 0, 0, 9}), 80);
      assertThat(MeshSocketFactory.target(address)).as(odd).isNull();
    }
  }
}
