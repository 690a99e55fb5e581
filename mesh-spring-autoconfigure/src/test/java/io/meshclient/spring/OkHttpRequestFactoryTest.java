package io.meshclient.spring;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.io.InterruptedIOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/** The request factory against a real HTTP server (WireMock on loopback). */
class OkHttpRequestFactoryTest {

  static final WireMockServer server = new WireMockServer(options().dynamicPort());
  static RestClient rest;

  @BeforeAll
  static void start() {
    server.start();
    rest =
        RestClient.builder()
            .baseUrl("http://127.0.0.1:" + server.port())
            .requestFactory(new OkHttpRequestFactory(new OkHttpClient()))
            .build();
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  @Test
  void getWithHeadersAndResponseHeaders() {
    server.stubFor(
        get("/a")
            .withHeader("x-one", equalTo("1"))
            .willReturn(aResponse().withHeader("x-back", "b1", "b2").withBody("hello")));
    ResponseEntity<String> r = rest.get().uri("/a").header("x-one", "1").retrieve().toEntity(String.class);
    assertThat(r.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(r.getBody()).isEqualTo("hello");
    assertThat(r.getHeaders().get("x-back")).containsExactly("b1", "b2");
  }

  @Test
  void postSendsTheBodyWithItsContentType() {
    server.stubFor(post("/p").willReturn(aResponse().withStatus(201).withBody("made")));
    ResponseEntity<String> r =
        rest.post()
            .uri("/p")
            .contentType(MediaType.APPLICATION_JSON)
            .body("{\"id\":7}")
            .retrieve()
            .toEntity(String.class);
    assertThat(r.getStatusCode()).isEqualTo(HttpStatusCode.valueOf(201));
    server.verify(
        postRequestedFor(urlEqualTo("/p"))
            .withHeader("Content-Type", equalTo("application/json"))
            .withRequestBody(equalTo("{\"id\":7}")));
  }

  @Test
  void postWithoutBodySendsAnEmptyOne() {
    server.stubFor(post("/empty").willReturn(aResponse().withStatus(204)));
    assertThat(rest.post().uri("/empty").retrieve().toBodilessEntity().getStatusCode().value())
        .isEqualTo(204);
  }

  @Test
  void errorStatusesReachSpringsHandlers() {
    server.stubFor(get("/missing").willReturn(aResponse().withStatus(404).withBody("nope")));
    assertThatThrownBy(() -> rest.get().uri("/missing").retrieve().body(String.class))
        .isInstanceOf(HttpClientErrorException.NotFound.class)
        .hasMessageContaining("nope");
  }

  @Test
  void theTimeoutAttributeBoundsTheCall() {
    server.stubFor(get("/slow").willReturn(aResponse().withFixedDelay(2000).withBody("late")));
    assertThatThrownBy(
            () ->
                rest.get()
                    .uri("/slow")
                    .attribute(OkHttpRequestFactory.TIMEOUT_ATTRIBUTE, Duration.ofMillis(100))
                    .retrieve()
                    .body(String.class))
        .isInstanceOf(ResourceAccessException.class)
        .hasCauseInstanceOf(InterruptedIOException.class);
    server.verify(getRequestedFor(urlEqualTo("/slow")));
  }
}
