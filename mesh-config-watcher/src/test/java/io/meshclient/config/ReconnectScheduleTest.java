package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.RandomSource;
import io.meshclient.config.internal.ReconnectBackoff;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reconnect schedule, on a {@link FakeClock} timer that runs what is scheduled only when the
 * test says: no sleeping, and the delays are exactly those of the seeded backoff.
 */
class ReconnectScheduleTest {

  @Test
  void reconnectsFollowTheSeededBackoffWhileTheServerIsDown() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    FakeClock timer = new FakeClock(Instant.EPOCH);
    List<Long> delays = new ArrayList<>();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target("127.0.0.1:" + port)
        .node(NodeIdentity.of("n", "web")).subscribe("orders").sink(new PolicySink() {
          @Override
          public void apply(io.meshclient.policy.MeshPolicy policy) {}

          @Override
          public void endpoints(String service, List<io.meshclient.policy.EndpointSpec> endpoints) {}
        })
        .backoff(Duration.ofSeconds(1), Duration.ofSeconds(10)).random(RandomSource.seeded(99)).timer(timer)
        .build().start()) {
      for (int i = 0; i < 8; i++) {
        // The failed connection schedules the reconnect from a gRPC thread.
        await().atMost(Duration.ofSeconds(20)).until(() -> !timer.pending().isEmpty());
        delays.add(timer.runNext().toNanos());
      }
      assertThat(w.connected()).isFalse();
    }
    ReconnectBackoff expected = new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), RandomSource.seeded(99));
    List<Long> want = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      want.add(expected.delayNanos(i));
    }
    assertThat(delays).isEqualTo(want);
    // 1 s, 1.6 s, 2.56 s, ... capped at 10 s, each within ±20 %.
    assertThat(delays.get(0)).isBetween(800_000_000L, 1_200_000_000L);
    assertThat(delays.get(7)).isBetween(8_000_000_000L, 12_000_000_000L);
  }
}
