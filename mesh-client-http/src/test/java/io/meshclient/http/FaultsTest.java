package io.meshclient.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.serviceUnavailable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.Fault;
import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WireMock faults on instance 0, a healthy instance 1, round robin: what the caller sees for each
 * fault, and who received what.
 */
class FaultsTest {

  static Fleet fleet;
  OkHttpClient client;
  Mesh mesh;

  @BeforeAll
  static void startFleet() {
    fleet = new Fleet(2);
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      Fleet.shutdown(client);
    }
    fleet.reset();
  }

  private OkHttpClient client(RetryPolicy retry) {
    mesh = Mesh.builder().random(RandomSource.seeded(7)).build();
    mesh.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                ServicePolicy.builder("orders")
                    .loadBalancer(LbAlgorithm.ROUND_ROBIN)
                    .retry(retry)
                    // Keep every request on the faulty instance's turn: no breaker, no ejection.
                    .circuitBreaker(CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                    .outlierDetection(OutlierDetectionPolicy.builder().consecutiveFailures(0).build())
                    .endpoint(fleet.endpoint(0))
                    .endpoint(fleet.endpoint(1))
                    .build())
            .build());
    client = MeshHttp.client(mesh);
    return client;
  }

  private static RetryPolicy.Builder retry() {
    return RetryPolicy.builder()
        .maxAttempts(3)
        .backoff(BackoffPolicy.of(Duration.ofMillis(1), Duration.ofMillis(2)));
  }

  private static int getAll(OkHttpClient c, int n) throws IOException {
    int fromHealthy = 0;
    for (int i = 0; i < n; i++) {
      if (Fleet.get(c, "http://orders/x").equals("s1")) {
        fromHealthy++;
      }
    }
    return fromHealthy;
  }

  @Test
  void burstOf503IsRetriedOnTheOtherInstance() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(serviceUnavailable()));
    OkHttpClient c = client(retry().build());
    assertThat(getAll(c, 20)).isEqualTo(20);
    assertThat(fleet.received(0)).isBetween(1, 20);
  }

  @Test
  void connectionResetIsRetriedForGet() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    OkHttpClient c = client(retry().build());
    assertThat(getAll(c, 20)).isEqualTo(20);
  }

  @Test
  void garbageResponseIsAProtocolErrorRetriedLikeAReset() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)));
    OkHttpClient c = client(retry().build());
    assertThat(getAll(c, 10)).isEqualTo(10);
  }

  @Test
  void delayBeyondPerTryTimeoutIsRetriedWhenTimeoutIsRetryable() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(ok("slow").withFixedDelay(2_000)));
    OkHttpClient c =
        client(
            retry()
                .perTryTimeout(Duration.ofMillis(500))
                .retryOn("connect-failure", "reset", "timeout", "503")
                .build());
    assertThat(getAll(c, 4)).isEqualTo(4);
  }

  @Test
  void delayBeyondPerTryTimeoutFailsTheCallWhenTimeoutIsNotRetryable() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(ok("slow").withFixedDelay(2_000)));
    OkHttpClient c = client(retry().perTryTimeout(Duration.ofMillis(500)).build());
    // A cold server may take a while for its first answer: warm the healthy one up directly.
    OkHttpClient plain = new OkHttpClient();
    Fleet.get(plain, "http://127.0.0.1:" + fleet.port(1) + "/warm-up");
    Fleet.shutdown(plain);
    // Round robin starts at instance 0 or 1; within two calls one lands on the slow instance first.
    int timeouts = 0;
    for (int i = 0; i < 2; i++) {
      try {
        Fleet.get(c, "http://orders/x");
      } catch (SocketTimeoutException expected) {
        timeouts++;
      }
    }
    assertThat(timeouts).isEqualTo(1);
  }

  @Test
  void malformedChunkAfterHeadersReachesTheCallerAndIsNotRetried() throws Exception {
    // The status line and headers arrive intact: the attempt has answered (200) and the response
    // is the caller's. The broken body surfaces when the caller reads it.
    fleet.get(0).stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));
    OkHttpClient c = client(retry().build());
    int broken = 0;
    for (int i = 0; i < 4; i++) {
      try (Response r = c.newCall(new Request.Builder().url("http://orders/x").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        r.body().string();
      } catch (IOException expected) {
        broken++;
      }
    }
    assertThat(broken).isEqualTo(2);
    assertThat(fleet.receivedByAll()).isEqualTo(4);
  }

  @Test
  void malformedChunkIsRetriedWhenBodiesAreBufferedInTheAttempt() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));
    client(retry().build()); // for the mesh
    Fleet.shutdown(client);
    client = MeshHttp.builder(mesh).bufferResponseBodies(64 * 1024).client();
    assertThat(getAll(client, 4)).isEqualTo(4);
  }

  private static Request postRequest(String idempotencyKey) {
    Request.Builder b =
        new Request.Builder()
            .url("http://orders/orders")
            .post(RequestBody.create("{}", MediaType.get("application/json")));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return b.build();
  }

  @Test
  void postWithoutIdempotencyKeyIsNotRetriedAfterItMayHaveArrived() throws Exception {
    fleet.get(0).stubFor(post(anyUrl()).willReturn(serviceUnavailable()));
    OkHttpClient c = client(retry().build());
    int unavailable = 0;
    for (int i = 0; i < 4; i++) {
      try (Response r = c.newCall(postRequest(null)).execute()) {
        if (r.code() == 503) {
          unavailable++;
        }
      }
    }
    assertThat(unavailable).isEqualTo(2); // the two that hit instance 0 got its 503 as is
    assertThat(fleet.get(1).findAll(postRequestedFor(anyUrl()))).hasSize(2);
  }

  @Test
  void postMarkedIdempotentIsRetried() throws Exception {
    fleet.get(0).stubFor(post(anyUrl()).willReturn(serviceUnavailable()));
    OkHttpClient c = client(retry().build());
    for (int i = 0; i < 4; i++) {
      Request.Builder b =
          new Request.Builder()
              .url("http://orders/orders")
              .post(RequestBody.create("{}", MediaType.get("application/json")));
      try (Response r = c.newCall(MeshHttp.idempotent(b).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    assertThat(fleet.get(1).findAll(postRequestedFor(anyUrl()))).hasSize(4);
  }

  @Test
  void postWithIdempotencyKeyIsRetried() throws Exception {
    fleet.get(0).stubFor(post(anyUrl()).willReturn(serviceUnavailable()));
    OkHttpClient c = client(retry().build());
    for (int i = 0; i < 4; i++) {
      try (Response r = c.newCall(postRequest("key-" + i)).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("s1");
      }
    }
    // Every 503 from instance 0 was re-sent to instance 1.
    int refused = fleet.get(0).findAll(postRequestedFor(anyUrl())).size();
    assertThat(refused).isPositive();
    assertThat(fleet.get(1).findAll(postRequestedFor(anyUrl()))).hasSize(4);
  }

  @Test
  void postResetWithoutKeyFailsWithTheTransportError() throws Exception {
    fleet.get(0).stubFor(post(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    OkHttpClient c = client(retry().build());
    int failed = 0;
    for (int i = 0; i < 4; i++) {
      try (Response r = c.newCall(postRequest(null)).execute()) {
        assertThat(r.code()).isEqualTo(200);
      } catch (IOException expected) {
        failed++;
      }
    }
    assertThat(failed).isEqualTo(2);
    assertThat(fleet.get(1).findAll(postRequestedFor(anyUrl()))).hasSize(2);
  }

  @Test
  void oneShotBodyIsNeverReplayedEvenWithAnIdempotencyKey() throws Exception {
    fleet.get(0).stubFor(post(anyUrl()).willReturn(serviceUnavailable()));
    OkHttpClient c = client(retry().build());
    int unavailable = 0;
    for (int i = 0; i < 4; i++) {
      Request req =
          new Request.Builder()
              .url("http://orders/upload")
              .header("Idempotency-Key", "k" + i)
              .post(new OneShotBody())
              .build();
      try (Response r = c.newCall(req).execute()) {
        if (r.code() == 503) {
          unavailable++;
        }
      }
    }
    assertThat(unavailable).isEqualTo(2);
  }

  @Test
  void unrecognisedStatusIsTheCallersAnswer() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(aResponse().withStatus(500)));
    OkHttpClient c = client(retry().retryOn("503").build());
    int errors = 0;
    for (int i = 0; i < 4; i++) {
      try (Response r = c.newCall(new Request.Builder().url("http://orders/x").build()).execute()) {
        if (r.code() == 500) {
          errors++;
        }
      }
    }
    assertThat(errors).isEqualTo(2);
  }

  private static final class OneShotBody extends RequestBody {
    @Override
    public MediaType contentType() {
      return MediaType.get("application/octet-stream");
    }

    @Override
    public boolean isOneShot() {
      return true;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      sink.writeUtf8("streamed");
    }
  }
}
