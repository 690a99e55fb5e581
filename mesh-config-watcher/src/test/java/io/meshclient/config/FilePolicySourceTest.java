package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.Mesh;
import io.meshclient.policy.MeshPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePolicySourceTest {

  @TempDir Path dir;

  @Test
  void appliesTheDirectoryAndEachGoodEditAndRejectsABadOneKeepingTheOldPolicy() throws Exception {
    Files.writeString(dir.resolve("orders.yaml"), "service: orders\ntimeout: 2s\n");
    Mesh mesh = Mesh.builder().build();
    List<String> rejected = new CopyOnWriteArrayList<>();
    WatcherListener listener = new WatcherListener() {
      @Override
      public void onRejected(String version, String reason) {
        rejected.add(reason);
      }
    };
    try (FilePolicySource source = FilePolicySource.builder().directory(dir).mesh(mesh)
        .debounce(Duration.ofMillis(20)).listener(listener).build().start()) {
      assertThat(mesh.policy().service("orders").timeout()).isEqualTo(Duration.ofSeconds(2));
      String v1 = source.version();
      assertThat(v1).startsWith("file-").isEqualTo(mesh.policy().version());

      Files.writeString(dir.resolve("orders.yaml"), "service: orders\ntimeout: 3s\n");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> mesh.policy().service("orders").timeout().equals(Duration.ofSeconds(3)));

      MeshPolicy good = mesh.policy();
      Files.writeString(dir.resolve("orders.yaml"), "service: orders\ntimeout: 3s\nretry: {maxAttempts: 99}\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> !rejected.isEmpty());
      assertThat(rejected.get(0)).contains("orders.yaml:3:").contains("orders.retry.maxAttempts").contains("99");
      assertThat(mesh.policy()).isSameAs(good);
      assertThat(source.problems()).hasSize(1);

      Files.writeString(dir.resolve("payments.yaml"), "service: payments\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> mesh.policy().service("payments") != null);
      assertThat(mesh.policy().service("orders").timeout()).isEqualTo(Duration.ofSeconds(3));
    }
  }
}
