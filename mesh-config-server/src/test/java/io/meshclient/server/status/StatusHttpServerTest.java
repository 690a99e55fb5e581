package io.meshclient.server.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.config.v1.FileProblem;
import io.meshclient.config.v1.NodeStatus;
import io.meshclient.config.v1.ServerStatus;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class StatusHttpServerTest {

  private static final ServerStatus STATUS = ServerStatus.newBuilder()
      .setPolicyVersion("12-abcdefabcdef")
      .addServices("orders")
      .addRejectedFiles(FileProblem.newBuilder().setFile("p/orders.yaml").addProblems("p/orders.yaml:2:3: orders.x: <bad>"))
      .addNodes(NodeStatus.newBuilder().setId("n1").setService("web").setPeer("/127.0.0.1:5")
          .addSubscriptions("orders").setSentVersion("12-abcdefabcdef").setAckedVersion("11-000000000000")
          .setNackedVersion("12-abcdefabcdef").setLastError("refused <because>"))
      .build();

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesJsonHtmlAndHealthAndRefusesTheRest() throws Exception {
    try (StatusHttpServer http = StatusHttpServer.start(new InetSocketAddress("127.0.0.1", 0), () -> STATUS)) {
      String base = "http://127.0.0.1:" + http.port();
      HttpResponse<String> json = send(HttpRequest.newBuilder(URI.create(base + "/status")));
      assertThat(json.statusCode()).isEqualTo(200);
      assertThat(json.headers().firstValue("content-type")).hasValue("application/json");
      assertThat(StatusHttpServer.fromJson(json.body())).isEqualTo(STATUS);

      HttpResponse<String> html = send(HttpRequest.newBuilder(URI.create(base + "/")));
      assertThat(html.body()).contains("<h1>MeshClient config server</h1>").contains("refused &lt;because&gt;")
          .contains("p/orders.yaml:2:3: orders.x: &lt;bad&gt;").doesNotContain("<because>");

      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/healthz"))).body()).isEqualTo("ok\n");
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/nope"))).statusCode()).isEqualTo(404);
      HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(base + "/status"))
          .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }
  }

  @Test
  void theTableShowsWhoIsBehindAndWhy() {
    String text = StatusTable.text(STATUS);
    assertThat(text).contains("policy version: 12-abcdefabcdef")
        .contains("REJECTED p/orders.yaml (last good version still served):")
        .contains("11-000000000000 (sent 12-abcdefabcdef)")
        .contains("refused <because>");
  }
}
