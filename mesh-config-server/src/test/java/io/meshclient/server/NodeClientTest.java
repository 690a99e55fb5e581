package io.meshclient.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.config.v1.NodeStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client written by nobody here: Node's {@code @grpc/grpc-js} with {@code @grpc/proto-loader},
 * from npm, given only the {@code .proto} files. It subscribes, registers, ACKs, NACKs; the
 * server's status shows all of it. Skipped only when {@code node} is not installed.
 */
class NodeClientTest {

  @TempDir Path policies;

  private static final Path NODE_DIR = Path.of("target", "node");

  private static boolean nodeAvailable() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void npmInstall() throws Exception {
    if (Files.exists(NODE_DIR.resolve("node_modules/@grpc/grpc-js/package.json"))
        && Files.exists(NODE_DIR.resolve("node_modules/@grpc/proto-loader/package.json"))) {
      return;
    }
    Files.createDirectories(NODE_DIR);
    Process p = new ProcessBuilder("npm", "install", "--prefix", NODE_DIR.toString(), "--no-audit", "--no-fund",
        "--loglevel=error", "@grpc/grpc-js@1.14.7", "@grpc/proto-loader@0.8.1")
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("npm install finished").isTrue();
    assertThat(p.exitValue()).as("npm install failed:\n%s", log).isZero();
  }

  private static Path protoDir() throws IOException, URISyntaxException {
    Path dir = NODE_DIR.resolve("proto/meshclient/v1");
    Files.createDirectories(dir);
    for (String f : List.of("policy.proto", "discovery.proto")) {
      try (InputStream in = NodeClientTest.class.getResourceAsStream("/meshclient/v1/" + f)) {
        assertThat(in).as("the watcher ships " + f).isNotNull();
        Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path script = NODE_DIR.resolve("client.js");
    Files.copy(Path.of(NodeClientTest.class.getResource("/node/client.js").toURI()), script,
        StandardCopyOption.REPLACE_EXISTING);
    return NODE_DIR.resolve("proto");
  }

  @Test
  void aNodeJsClientSubscribesRegistersAcksAndNacks() throws Exception {
    Assumptions.assumeTrue(nodeAvailable(), "node is not installed: skipping the Node.js client test");
    npmInstall();
    Path proto = protoDir();
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 2s\nloadBalancer: {algorithm: P2C_EWMA}\n");
    try (ConfigServer server = Fixture.warm(Fixture.server(policies).build().start())) {
      Process node = new ProcessBuilder("node", NODE_DIR.resolve("client.js").toAbsolutePath().toString(),
          "127.0.0.1:" + server.port(), proto.toAbsolutePath().toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            System.out.println("[node] " + line);
            lines.add(line);
          }
        } catch (IOException e) {
          // process ended
        }
      });
      reader.start();
      try {
        assertThat(next(lines)).contains("\"event\":\"started\"");
        String first = next(lines);
        assertThat(first).contains("\"n\":1").contains("\"name\":\"orders\"").contains("\"timeoutSeconds\":2")
            .contains("\"algorithm\":\"P2C_EWMA\"");
        await().atMost(Duration.ofSeconds(20)).until(() -> acked(server));
        NodeStatus js = server.status().getNodes(0);
        assertThat(js.getId()).isEqualTo("node-js-1");
        assertThat(js.getSubscriptionsList()).containsExactly("orders");
        assertThat(server.status().getRegistryList()).singleElement()
            .satisfies(e -> assertThat(e.getAddress()).isEqualTo("127.0.0.1:7777"));

        Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 3s\n");
        assertThat(next(lines)).contains("\"n\":2").contains("\"timeoutSeconds\":3");
        await().atMost(Duration.ofSeconds(20)).until(() -> !server.status().getNodes(0).getLastError().isEmpty());
        NodeStatus nacked = server.status().getNodes(0);
        assertThat(nacked.getLastError()).isEqualTo("node client rejects version " + nacked.getNackedVersion() + " on purpose");
        assertThat(nacked.getAckedVersion()).isEqualTo(js.getAckedVersion());

        Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 4s\n");
        assertThat(next(lines)).contains("\"n\":3").contains("\"timeoutSeconds\":4");
        await().atMost(Duration.ofSeconds(20)).until(() -> acked(server));
      } finally {
        node.getOutputStream().close();
        if (!node.waitFor(10, TimeUnit.SECONDS)) {
          node.destroyForcibly();
        }
        reader.join(10_000);
      }
    }
  }

  private static boolean acked(ConfigServer server) {
    List<NodeStatus> nodes = server.status().getNodesList();
    return nodes.size() == 1 && !nodes.get(0).getAckedVersion().isEmpty()
        && nodes.get(0).getAckedVersion().equals(nodes.get(0).getSentVersion());
  }

  private static String next(BlockingQueue<String> lines) throws InterruptedException {
    String line = lines.poll(60, TimeUnit.SECONDS);
    assertThat(line).as("a line from the node client within 60 s").isNotNull();
    return line;
  }
}
