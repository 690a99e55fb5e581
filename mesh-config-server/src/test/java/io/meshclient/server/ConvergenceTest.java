package io.meshclient.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.config.v1.NodeStatus;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 real clients over loopback, one file edit. The figures are printed, not asserted (timing
 * belongs in benchmarks, DESIGN.md §6); what is asserted is that every client converged and ACKed.
 */
class ConvergenceTest {

  @TempDir Path policies;

  @Test
  void twoHundredClientsConvergeAfterAFileEdit() throws Exception {
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    try (ConfigServer server = Fixture.server(policies).build().start();
        Convergence fleet = new Convergence().start("127.0.0.1:" + server.port(), 200)) {
      for (int round = 0; round < 3; round++) {
        Convergence.Result r = fleet.edit(policies, 3 + round);
        System.out.println("[convergence] round " + (round + 1) + ": " + r + " (server debounce 50 ms included)");
        assertThat(r.clients()).isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> server.status().getNodesList().stream()
          .filter(n -> n.getAckedVersion().equals(n.getSentVersion())).count() == 200);
      assertThat(server.status().getNodesList()).extracting(NodeStatus::getAckedVersion).containsOnly(
          server.status().getNodes(0).getAckedVersion());
    }
  }
}
