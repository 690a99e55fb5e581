package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.Mesh;
import io.meshclient.config.internal.PolicyCache;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.ServicePolicy;
import io.meshclient.config.v1.ServiceResource;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up without a server: the cache is the policy; a bad cache is reported and ignored. */
class MeshConfigWatcherCacheTest {

  @TempDir Path cacheDir;

  private static String unusedAddress() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  private static final class Events implements WatcherListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onCacheLoaded(String version) {
      events.add("cache " + version);
    }

    @Override
    public void onCacheProblem(Path file, String problem) {
      events.add("cache problem " + file.getFileName() + ": " + problem);
    }

    @Override
    public void onDisconnected(io.grpc.Status status, Duration retryIn) {
      events.add("disconnected " + status.getCode());
    }
  }

  @Test
  void startsFromTheCacheWhenTheServerIsUnreachable() throws Exception {
    new PolicyCache(cacheDir).write(DiscoveryResponse.newBuilder().setVersionInfo("5-abc").setNonce("9")
        .addResources(ServiceResource.newBuilder().setName("orders").setPolicy(
            ServicePolicy.newBuilder().setService("orders").setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(4))))
        .build());
    Mesh mesh = Mesh.builder().build();
    Events events = new Events();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(unusedAddress())
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders").mesh(mesh).cacheDirectory(cacheDir)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).listener(events).build().start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> events.events.contains("disconnected UNAVAILABLE"));
      assertThat(events.events.get(0)).isEqualTo("cache 5-abc");
      assertThat(mesh.policy().version()).isEqualTo("5-abc");
      assertThat(mesh.policy().service("orders").timeout()).isEqualTo(Duration.ofSeconds(4));
      assertThat(w.version()).isEqualTo("5-abc");
      assertThat(w.connected()).isFalse();
    }
  }

  @Test
  void aCorruptCacheIsReportedAndIgnored() throws Exception {
    Files.writeString(cacheDir.resolve("meshclient-last-applied.pb"), "this is not a cache file at all");
    Mesh mesh = Mesh.builder().build();
    Events events = new Events();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(unusedAddress())
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders").mesh(mesh).cacheDirectory(cacheDir)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).listener(events).build().start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> events.events.contains("disconnected UNAVAILABLE"));
      assertThat(events.events.get(0)).startsWith("cache problem meshclient-last-applied.pb: not a MeshClient cache file");
      assertThat(mesh.policy()).isEqualTo(io.meshclient.policy.MeshPolicy.EMPTY);
      assertThat(w.version()).isEmpty();
    }
  }

  @Test
  void aCacheHoldingAnInvalidPolicyIsReportedAndIgnored() throws Exception {
    new PolicyCache(cacheDir).write(DiscoveryResponse.newBuilder().setVersionInfo("5-abc")
        .addResources(ServiceResource.newBuilder().setName("orders").setPolicy(
            ServicePolicy.newBuilder().setService("orders").setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-4))))
        .build());
    Mesh mesh = Mesh.builder().build();
    Events events = new Events();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(unusedAddress())
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders").mesh(mesh).cacheDirectory(cacheDir)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).listener(events).build().start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> events.events.contains("disconnected UNAVAILABLE"));
      assertThat(events.events.get(0)).contains("holds a policy that is not valid here").contains("orders.timeout");
      assertThat(mesh.policy()).isEqualTo(io.meshclient.policy.MeshPolicy.EMPTY);
      assertThat(w.version()).isEmpty();
    }
  }
}
