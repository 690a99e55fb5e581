package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.RandomSource;
import io.meshclient.config.internal.ReconnectBackoff;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The reconnect schedule, on an injected timer that records what is scheduled and runs it when the
 * test says: no sleeping, and the delays are exactly those of the seeded backoff.
 */
class ReconnectScheduleTest {

  /** Records each scheduled task and its delay; runs a task only when {@link #runNext()} is called. */
  static final class ManualTimer extends ScheduledThreadPoolExecutor {
    record Task(Runnable task, long delayNanos) {}

    final BlockingQueue<Task> scheduled = new LinkedBlockingQueue<>();

    ManualTimer() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      scheduled.add(new Task(command, unit.toNanos(delay)));
      return super.schedule(() -> {}, 365, TimeUnit.DAYS); // a future that never fires by itself
    }

    long runNext() throws InterruptedException {
      Task t = scheduled.poll(20, TimeUnit.SECONDS);
      assertThat(t).as("a reconnect was scheduled").isNotNull();
      t.task().run();
      return t.delayNanos();
    }
  }

  @Test
  void reconnectsFollowTheSeededBackoffWhileTheServerIsDown() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ManualTimer timer = new ManualTimer();
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
        delays.add(timer.runNext());
      }
      assertThat(w.connected()).isFalse();
    } finally {
      timer.shutdownNow();
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
