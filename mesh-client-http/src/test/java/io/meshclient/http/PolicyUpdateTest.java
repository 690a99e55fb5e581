package io.meshclient.http;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.Destination;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** A weight flip (100/0 → 0/100) applies to new requests; requests in flight finish unharmed. */
class PolicyUpdateTest {

  private static ServicePolicy policy(Fleet fleet, int v1, int v2) {
    return ServicePolicy.builder("orders")
        .endpoint(fleet.endpoint(0, Map.of("version", "v1")))
        .endpoint(fleet.endpoint(1, Map.of("version", "v2")))
        .route(
            Route.of(
                RouteMatch.ANY,
                Destination.subset(Map.of("version", "v1"), v1),
                Destination.subset(Map.of("version", "v2"), v2)))
        .build();
  }

  @Test
  void weightFlipMidTrafficMovesNewRequestsAndFailsNoneInFlight() throws Exception {
    try (Fleet fleet = new Fleet(2)) {
      fleet.get(0).stubFor(get(urlPathEqualTo("/slow")).willReturn(ok("s0-slow").withFixedDelay(2_000)));
      Mesh mesh = Mesh.builder().random(RandomSource.seeded(9)).build();
      mesh.update(MeshPolicy.builder().version("1").service(policy(fleet, 100, 0)).build());
      OkHttpClient client = MeshHttp.client(mesh);

      // Slow requests in flight on v1 when the flip lands.
      List<CompletableFuture<String>> slow = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        CompletableFuture<String> f = new CompletableFuture<>();
        client.newCall(new Request.Builder().url("http://orders/slow").build()).enqueue(bodyOf(f));
        slow.add(f);
      }

      AtomicBoolean updated = new AtomicBoolean();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger afterUpdate = new AtomicInteger();
      ConcurrentLinkedQueue<String> misrouted = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        workers.add(
            pool.submit(
                () -> {
                  while (!stop.get()) {
                    boolean startedAfter = updated.get();
                    try {
                      String body = Fleet.get(client, "http://orders/fast");
                      if (startedAfter) {
                        afterUpdate.incrementAndGet();
                        if (!body.equals("s1")) {
                          misrouted.add(body);
                        }
                      }
                    } catch (Throwable e) {
                      failures.add(e);
                    }
                  }
                }));
      }
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> fleet.received(0) >= 10);
        long inFlight = slow.stream().filter(f -> !f.isDone()).count();
        assertThat(inFlight).as("slow requests in flight when the update lands").isPositive();
        mesh.update(MeshPolicy.builder().version("2").service(policy(fleet, 0, 100)).build());
        updated.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> afterUpdate.get() >= 100);
      } finally {
        stop.set(true);
        for (Future<?> w : workers) {
          w.get(20, TimeUnit.SECONDS);
        }
        pool.shutdown();
      }
      for (CompletableFuture<String> f : slow) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("s0-slow");
      }
      Fleet.shutdown(client);
      assertThat(failures).isEmpty();
      assertThat(misrouted).isEmpty();
    }
  }

  private static Callback bodyOf(CompletableFuture<String> f) {
    return new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        f.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call call, Response response) throws IOException {
        try (response) {
          f.complete(response.body().string());
        }
      }
    };
  }
}
