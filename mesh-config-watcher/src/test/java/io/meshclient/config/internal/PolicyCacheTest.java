package io.meshclient.config.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.ServicePolicy;
import io.meshclient.config.v1.ServiceResource;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCacheTest {

  @TempDir Path dir;

  private static final DiscoveryResponse UPDATE = DiscoveryResponse.newBuilder()
      .setVersionInfo("7-abc")
      .setNonce("1")
      .addResources(ServiceResource.newBuilder().setName("orders")
          .setPolicy(ServicePolicy.newBuilder().setService("orders")))
      .build();

  @Test
  void roundTripsAndLeavesNoTemporaryFiles() throws Exception {
    PolicyCache cache = new PolicyCache(dir);
    assertThat(cache.read()).isNull();
    cache.write(UPDATE);
    cache.write(UPDATE.toBuilder().setVersionInfo("8-def").build());
    assertThat(cache.read().getVersionInfo()).isEqualTo("8-def");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(cache.file());
    }
  }

  @Test
  void aCorruptFileIsReportedNotTrusted() throws Exception {
    PolicyCache cache = new PolicyCache(dir);
    cache.write(UPDATE);
    byte[] good = Files.readAllBytes(cache.file());

    byte[] flipped = good.clone();
    flipped[flipped.length - 3] ^= 0x10;
    Files.write(cache.file(), flipped);
    assertThatThrownBy(cache::read).isInstanceOf(PolicyCache.CorruptCacheException.class).hasMessageContaining("checksum");

    Files.write(cache.file(), java.util.Arrays.copyOf(good, good.length - 5));
    assertThatThrownBy(cache::read).hasMessageContaining("truncated");

    Files.writeString(cache.file(), "service: orders\n");
    assertThatThrownBy(cache::read).hasMessageContaining("not a MeshClient cache file");

    Files.write(cache.file(), new byte[3]);
    assertThatThrownBy(cache::read).hasMessageContaining("too short");
  }
}
