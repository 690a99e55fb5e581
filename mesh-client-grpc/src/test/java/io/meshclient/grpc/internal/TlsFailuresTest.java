package io.meshclient.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.netty.handler.ssl.NotSslRecordException;
import java.net.ConnectException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Which words of a failed handshake reach the caller. */
class TlsFailuresTest {

  @Test
  void theTrustManagersOwnMessageWinsOverTheEnginesAndItsCauses() {
    CertificateException verdict =
        new CertificateException(
            "orders: the server's certificate O=x is not trusted: expired (NotAfter: then)",
            new CertPathValidatorException(
                "validity check failed", new CertificateExpiredException("NotAfter: then")));
    SSLHandshakeException engine = new SSLHandshakeException("General OpenSslEngine problem");
    engine.initCause(verdict);
    assertThat(TlsFailures.describe(new RuntimeException("io exception", engine)))
        .isEqualTo(
            "orders: the server's certificate O=x is not trusted: expired (NotAfter: then)");
  }

  @Test
  void aPeersAlertSaysThePeerRefused() {
    assertThat(
            TlsFailures.describe(
                new SSLException("error:10000438:SSL routines:TLSV1_ALERT_INTERNAL_ERROR")))
        .isEqualTo(
            "the peer refused the handshake (error:10000438:SSL routines:"
                + "TLSV1_ALERT_INTERNAL_ERROR): it may not trust or allow this workload's"
                + " certificate (its reason is in its log)");
  }

  @Test
  void plaintextBytesSayThePeerDoesNotSpeakTls() {
    assertThat(TlsFailures.describe(new NotSslRecordException("not an SSL/TLS record: 0000\nmore")))
        .isEqualTo(
            "the endpoint does not speak TLS (a plaintext server?): not an SSL/TLS record: 0000");
  }

  @Test
  void otherFailuresAreNotTls() {
    assertThat(TlsFailures.describe(new ConnectException("Connection refused"))).isNull();
    assertThat(TlsFailures.describe(null)).isNull();
  }
}
