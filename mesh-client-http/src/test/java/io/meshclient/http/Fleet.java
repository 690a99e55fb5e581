package io.meshclient.http;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.meshclient.policy.EndpointSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Several WireMock instances on loopback, each answering {@code 200 "s<i>"} by default, so a
 * response names the instance that served it.
 */
final class Fleet implements AutoCloseable {

  final List<WireMockServer> servers = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  Fleet(int size) {
    for (int i = 0; i < size; i++) {
      WireMockServer s = newServer(i, 0);
      servers.add(s);
      ports.add(s.port());
    }
  }

  /** A started instance {@code i}, its default stub in place before it accepts a request. */
  private static WireMockServer newServer(int i, int port) {
    WireMockServer s =
        new WireMockServer(
            wireMockConfig()
                .bindAddress("127.0.0.1")
                .port(port)
                .containerThreads(12)
                .jettyAcceptors(1)
                .asynchronousResponseEnabled(false));
    s.stubFor(defaultStub(i));
    s.start();
    return s;
  }

  private static com.github.tomakehurst.wiremock.client.MappingBuilder defaultStub(int i) {
    return any(anyUrl()).atPriority(10).willReturn(ok("s" + i));
  }

  WireMockServer get(int i) {
    return servers.get(i);
  }

  int port(int i) {
    return ports.get(i);
  }

  EndpointSpec endpoint(int i) {
    return EndpointSpec.of("127.0.0.1:" + port(i));
  }

  EndpointSpec endpoint(int i, Map<String, String> labels) {
    return EndpointSpec.of("127.0.0.1:" + port(i), labels);
  }

  /** Back to the default stub on every instance; clears the request journals. */
  void reset() {
    for (int i = 0; i < servers.size(); i++) {
      WireMockServer s = servers.get(i);
      if (s.isRunning()) {
        s.resetAll();
        s.stubFor(defaultStub(i));
      }
    }
  }

  /** Requests instance {@code i} received. */
  int received(int i) {
    return servers.get(i).findAll(anyRequestedFor(anyUrl())).size();
  }

  int receivedByAll() {
    int sum = 0;
    for (int i = 0; i < servers.size(); i++) {
      sum += received(i);
    }
    return sum;
  }

  void stop(int i) {
    servers.get(i).stop();
  }

  /** Starts instance {@code i} again on its old port. */
  void restart(int i) {
    servers.set(i, newServer(i, ports.get(i)));
  }

  /** GETs {@code url} and returns the body ("s<i>" names the instance). */
  static String get(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      if (r.code() != 200) {
        throw new IOException("HTTP " + r.code() + " from " + url);
      }
      return r.body().string();
    }
  }

  static void shutdown(OkHttpClient client) {
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
  }

  @Override
  public void close() {
    for (WireMockServer s : servers) {
      if (s.isRunning()) {
        s.stop();
      }
    }
  }
}
