package io.meshclient.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.serverError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.Mesh;
import io.meshclient.MeshRejectedException;
import io.meshclient.Rejection;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client as an application sees it: fail-fast refusals (what they say, and that asynchronous
 * callers get them too), unknown hosts, STRICT mTLS, redirects, and living with the application's
 * own builder settings.
 */
class MeshHttpClientTest {

  static Fleet fleet;
  OkHttpClient client;

  @BeforeAll
  static void startFleet() {
    fleet = new Fleet(1);
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

  private Mesh mesh(ServicePolicy.Builder policy) {
    Mesh mesh = Mesh.builder().build();
    mesh.update(
        MeshPolicy.builder().version("1").service(policy.endpoint(fleet.endpoint(0)).build()).build());
    return mesh;
  }

  private static Request request(String url) {
    return new Request.Builder().url(url).build();
  }

  @Test
  void fullConcurrencyLimitFailsFastWithAMeshHttpRejectedException() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(ok("slow").withFixedDelay(1_000)));
    client =
        MeshHttp.client(
            mesh(
                ServicePolicy.builder("orders")
                    .circuitBreaker(CircuitBreakerPolicy.builder().maxConcurrentRequests(1).build())));
    CompletableFuture<Response> first = new CompletableFuture<>();
    client.newCall(request("http://orders/slow")).enqueue(callback(first, new CompletableFuture<>()));
    await(() -> fleet.get(0).getServeEvents().getRequests().size() + inFlight() > 0);

    // Asynchronous callers get it in onFailure, since it is an IOException.
    CompletableFuture<IOException> failure = new CompletableFuture<>();
    client.newCall(request("http://orders/second")).enqueue(callback(new CompletableFuture<>(), failure));
    IOException e = failure.get(10, TimeUnit.SECONDS);
    assertThat(e).isInstanceOf(MeshHttpRejectedException.class);
    MeshHttpRejectedException r = (MeshHttpRejectedException) e;
    assertThat(r.service()).isEqualTo("orders");
    assertThat(r.reason()).isEqualTo(Rejection.CONCURRENCY_LIMIT);
    assertThat(r.endpoint()).isNull();
    assertThat(r.getCause()).isInstanceOf(MeshRejectedException.class);
    assertThat(r.getStackTrace()).isEmpty();
    assertThat(r)
        .hasMessage(
            "meshclient rejected a call to service 'orders': the service's concurrency limit"
                + " (circuitBreaker.maxConcurrentRequests) is reached");
    try (Response slow = first.get(10, TimeUnit.SECONDS)) {
      assertThat(slow.code()).isEqualTo(200);
    }
  }

  private int inFlight() {
    return client.dispatcher().runningCallsCount();
  }

  @Test
  void openBreakerFailsFastNamingTheReason() throws Exception {
    fleet.get(0).stubFor(any(anyUrl()).willReturn(serverError()));
    client =
        MeshHttp.client(
            mesh(
                ServicePolicy.builder("orders")
                    .retry(RetryPolicy.NONE)
                    .circuitBreaker(
                        CircuitBreakerPolicy.builder()
                            .failureRateThreshold(50)
                            .window(2)
                            .minimumCalls(2)
                            .openDuration(Duration.ofMinutes(1))
                            .build())));
    for (int i = 0; i < 2; i++) {
      try (Response r = client.newCall(request("http://orders/x")).execute()) {
        assertThat(r.code()).isEqualTo(500);
      }
    }
    assertThatThrownBy(() -> client.newCall(request("http://orders/x")).execute())
        .isInstanceOfSatisfying(
            MeshHttpRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Rejection.BREAKER_OPEN))
        .hasMessage(
            "meshclient rejected a call to service 'orders': every candidate endpoint's circuit"
                + " breaker is open");
    assertThat(fleet.received(0)).isEqualTo(2);
  }

  @Test
  void unknownHostsPassThroughByDefault() throws Exception {
    client = MeshHttp.client(mesh(ServicePolicy.builder("orders")));
    assertThat(Fleet.get(client, "http://127.0.0.1:" + fleet.port(0) + "/direct")).isEqualTo("s0");
  }

  @Test
  void unknownHostsAreRefusedWhenConfigured() {
    client =
        MeshHttp.builder(mesh(ServicePolicy.builder("orders")))
            .unknownHosts(MeshHttp.UnknownHosts.REFUSE)
            .client();
    assertThatThrownBy(() -> client.newCall(request("http://127.0.0.1:" + fleet.port(0) + "/")).execute())
        .isInstanceOfSatisfying(
            MeshHttpRejectedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Rejection.UNKNOWN_SERVICE);
              assertThat(e.service()).isEqualTo("127.0.0.1");
            });
    assertThat(fleet.received(0)).isZero();
  }

  @Test
  void strictMtlsIsRefusedRatherThanSentInPlaintext() {
    client =
        MeshHttp.client(
            mesh(
                ServicePolicy.builder("orders")
                    .tls(TlsMode.STRICT)
                    .identities(java.util.List.of("spiffe://example.org/ns/shop/sa/orders"))));
    assertThatThrownBy(() -> client.newCall(request("http://orders/x")).execute())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("requires mTLS (tls: STRICT)");
    assertThat(fleet.received(0)).isZero();
  }

  @Test
  void addToKeepsTheApplicationsOwnInterceptorsAndSettings() throws Exception {
    Mesh mesh = mesh(ServicePolicy.builder("orders"));
    client =
        MeshHttp.addTo(
                new OkHttpClient.Builder()
                    .addInterceptor(
                        chain ->
                            chain.proceed(chain.request().newBuilder().header("x-app", "1").build())),
                mesh)
            .build();
    assertThat(Fleet.get(client, "http://orders/x")).isEqualTo("s0");
    assertThat(fleet.get(0).getAllServeEvents().get(0).getRequest().getHeader("x-app")).isEqualTo("1");
  }

  @Test
  void redirectsAreFollowedOnTheEndpointAndToOtherHostsAsUsual() throws Exception {
    try (Fleet other = new Fleet(1)) {
      fleet.get(0).stubFor(
          get(urlPathEqualTo("/old")).willReturn(aResponse().withStatus(302).withHeader("Location", "/new")));
      fleet.get(0).stubFor(get(urlPathEqualTo("/new")).willReturn(ok("s0-new")));
      fleet.get(0).stubFor(
          get(urlPathEqualTo("/away"))
              .willReturn(
                  aResponse()
                      .withStatus(302)
                      .withHeader("Location", "http://127.0.0.1:" + other.port(0) + "/elsewhere")));
      client = MeshHttp.client(mesh(ServicePolicy.builder("orders")));
      assertThat(Fleet.get(client, "http://orders/old")).isEqualTo("s0-new");
      assertThat(Fleet.get(client, "http://orders/away")).isEqualTo("s0"); // other's instance 0
      assertThat(other.received(0)).isEqualTo(1);
    }
  }

  @Test
  void addingTheMeshTwiceIsAnError() {
    Mesh mesh = mesh(ServicePolicy.builder("orders"));
    OkHttpClient.Builder b = MeshHttp.addTo(new OkHttpClient.Builder(), mesh);
    assertThatThrownBy(() -> MeshHttp.addTo(b, mesh))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already has a mesh interceptor");
  }

  @Test
  void clientWithItsOwnSocketFactoryStillReachesTheEndpoints() throws Exception {
    Mesh mesh = mesh(ServicePolicy.builder("orders"));
    javax.net.SocketFactory own =
        new javax.net.SocketFactory() {
          @Override
          public java.net.Socket createSocket() {
            return new java.net.Socket();
          }

          @Override
          public java.net.Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException();
          }

          @Override
          public java.net.Socket createSocket(
              String host, int port, java.net.InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException();
          }

          @Override
          public java.net.Socket createSocket(java.net.InetAddress host, int port) {
            throw new UnsupportedOperationException();
          }

          @Override
          public java.net.Socket createSocket(
              java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException();
          }
        };
    client = MeshHttp.addTo(new OkHttpClient.Builder().socketFactory(own), mesh).build();
    assertThat(client.socketFactory()).isSameAs(own);
    assertThat(Fleet.get(client, "http://orders/x")).isEqualTo("s0");
    // and other hosts still use the application's factory
    assertThat(Fleet.get(client, "http://127.0.0.1:" + fleet.port(0) + "/y")).isEqualTo("s0");
  }

  private static void await(java.util.concurrent.Callable<Boolean> condition) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(condition);
  }

  private static Callback callback(
      CompletableFuture<Response> response, CompletableFuture<IOException> failure) {
    return new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        failure.complete(e);
      }

      @Override
      public void onResponse(Call call, Response r) {
        response.complete(r);
      }
    };
  }
}
