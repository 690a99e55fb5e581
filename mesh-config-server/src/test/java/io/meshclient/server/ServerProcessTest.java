package io.meshclient.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.server.Fixture.RecordingSink;
import io.meshclient.server.cli.MainTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config server as a real process ({@code serve}), killed with SIGKILL mid-run: clients keep
 * running on their policy, reconnect with backoff, and resync to what changed meanwhile.
 */
class ServerProcessTest {

  @TempDir Path policies;
  @TempDir Path logs;

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void killedWithSigkillAndRestartedClientsKeepTheirPolicyAndResync() throws Exception {
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    Path log = logs.resolve("server.log");
    ServerProcess server = ServerProcess.start(policies, 0, log);
    int port = server.port;
    List<RecordingSink> sinks = Stream.generate(RecordingSink::new).limit(20).toList();
    List<MeshConfigWatcher> watchers = new ArrayList<>();
    try {
      for (int i = 0; i < sinks.size(); i++) {
        watchers.add(MeshConfigWatcher.builder().target("127.0.0.1:" + port)
            .node(io.meshclient.config.NodeIdentity.of("c" + i, "web")).subscribe("orders").sink(sinks.get(i))
            .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build().start());
      }
      await().atMost(WAIT).until(() -> sinks.stream().allMatch(s -> s.applied == 1));
      MainTest.Run status = MainTest.run("status", "--server", "127.0.0.1:" + server.statusPort);
      assertThat(status.out()).contains("20 connected node(s)");

      String before = watchers.get(0).version();
      server.kill();
      await().atMost(WAIT).until(() -> watchers.stream().noneMatch(MeshConfigWatcher::connected));
      assertThat(sinks).allSatisfy(s -> assertThat(s.timeoutOf("orders")).isEqualTo(Duration.ofSeconds(2)));
      // The engine still serves: the policy is in force, no server needed.
      assertThat(sinks.get(0).mesh.policy().service("orders")).isNotNull();

      Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 7s\n");
      server = ServerProcess.start(policies, port, log);
      await().atMost(WAIT).until(() -> sinks.stream().allMatch(s -> s.timeoutOf("orders").equals(Duration.ofSeconds(7))));
      await().atMost(WAIT).until(() -> watchers.stream().allMatch(MeshConfigWatcher::connected));
      assertThat(sinks).allSatisfy(s -> assertThat(s.applied).isEqualTo(2));
      // Versions stay monotonic across the restart (the generation starts from the wall clock).
      String after = watchers.get(0).version();
      assertThat(Long.parseLong(after.substring(0, after.indexOf('-'))))
          .isGreaterThan(Long.parseLong(before.substring(0, before.indexOf('-'))));
    } finally {
      watchers.forEach(MeshConfigWatcher::close);
      server.close();
    }
  }
}
