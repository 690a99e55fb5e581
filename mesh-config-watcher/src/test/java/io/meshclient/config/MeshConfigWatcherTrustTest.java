package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.meshclient.Mesh;
import io.meshclient.config.internal.PolicyCache;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.ServicePolicy;
import io.meshclient.config.v1.ServiceResource;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust bundle streamed with the policy ({@code DiscoveryResponse.trust_bundle}) reaches the
 * credentials when it changes; a malformed one is NACKed and changes nothing. Real gRPC over Netty.
 */
class MeshConfigWatcherTrustTest {

  static TestCa root;
  static TestCa nextRoot;

  TestConfigServer server;
  MeshCredentials credentials;
  final List<String> events = new CopyOnWriteArrayList<>();

  final WatcherListener listener = new WatcherListener() {
    @Override
    public void onTrustBundle(String version, List<X509Certificate> roots) {
      events.add("trust " + version + " " + roots.size());
    }

    @Override
    public void onRejected(String version, String reason) {
      events.add("rejected " + version + ": " + reason);
    }

    @Override
    public void onCacheLoaded(String version) {
      events.add("cache " + version);
    }
  };

  @BeforeAll
  static void cas() throws Exception {
    root = new TestCa("mesh-root");
    nextRoot = new TestCa("mesh-root-2");
  }

  @BeforeEach
  void start() throws Exception {
    server = new TestConfigServer(root, Instant::now).start();
    credentials = MeshCredentials.create(null, List.of(root.certificate), m -> {});
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static DiscoveryResponse update(String version, int timeoutSeconds, List<ByteString> bundle) {
    return DiscoveryResponse.newBuilder().setVersionInfo(version).setNonce(version)
        .addResources(ServiceResource.newBuilder().setName("orders").setPolicy(ServicePolicy.newBuilder()
            .setService("orders").setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(timeoutSeconds))))
        .addAllTrustBundle(bundle)
        .build();
  }

  static ByteString der(TestCa ca) throws Exception {
    return ByteString.copyFrom(ca.certificate.getEncoded());
  }

  @Test
  void aChangedBundleIsGivenToTheCredentialsAndAMalformedOneIsNackedKeepingTheLastGood() throws Exception {
    Mesh mesh = Mesh.builder().build();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(server.target())
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders").mesh(mesh)
        .trustBundleTo(credentials).listener(listener).build().start()) {
      assertThat(server.nextStreamRequest().getResponseNonce()).isEmpty();

      // Rotation starts: old and new root together.
      server.push(update("1-a", 1, List.of(der(root), der(nextRoot))));
      DiscoveryRequest ack = server.nextStreamRequest();
      assertThat(ack.getResponseNonce()).isEqualTo("1-a");
      assertThat(ack.hasErrorDetail()).isFalse();
      assertThat(credentials.trustRoots()).containsExactly(root.certificate, nextRoot.certificate);
      assertThat(events).containsExactly("trust 1-a 2");

      // Same bundle, new policy: applied, the credentials are not touched again.
      server.push(update("2-b", 2, List.of(der(root), der(nextRoot))));
      assertThat(server.nextStreamRequest().hasErrorDetail()).isFalse();
      assertThat(mesh.policy().version()).isEqualTo("2-b");
      assertThat(events).containsExactly("trust 1-a 2");

      // A broken entry: the whole update is NACKed, policy and trust stay as they were.
      server.push(update("3-c", 3, List.of(der(nextRoot), ByteString.copyFromUtf8("garbage"))));
      DiscoveryRequest nack = server.nextStreamRequest();
      assertThat(nack.getResponseNonce()).isEqualTo("3-c");
      assertThat(nack.getVersionInfo()).isEqualTo("2-b");
      assertThat(nack.getErrorDetail().getMessage())
          .startsWith("trust_bundle[1]: not a DER X.509 certificate: ")
          .endsWith("(expected one DER-encoded certificate per entry)");
      assertThat(w.lastError()).startsWith("trust_bundle[1]: not a DER X.509 certificate");
      assertThat(credentials.trustRoots()).containsExactly(root.certificate, nextRoot.certificate);
      assertThat(mesh.policy().version()).isEqualTo("2-b");
      assertThat(mesh.policy().service("orders").timeout()).isEqualTo(Duration.ofSeconds(2));

      // An empty bundle (a server without a CA) leaves the credentials alone.
      server.push(update("4-d", 4, List.of()));
      assertThat(server.nextStreamRequest().hasErrorDetail()).isFalse();
      assertThat(credentials.trustRoots()).containsExactly(root.certificate, nextRoot.certificate);

      // Rotation ends: the new root alone.
      server.push(update("5-e", 5, List.of(der(nextRoot))));
      assertThat(server.nextStreamRequest().hasErrorDetail()).isFalse();
      assertThat(credentials.trustRoots()).containsExactly(nextRoot.certificate);
      assertThat(events).hasSize(3);
      assertThat(events.get(1)).startsWith("rejected 3-c: trust_bundle[1]");
      assertThat(events.get(2)).isEqualTo("trust 5-e 1");
    }
  }

  @Test
  void aCachedBundleIsNotUsedBecauseItMayBeOlderThanTheCredentials(@TempDir Path cacheDir) throws Exception {
    new PolicyCache(cacheDir).write(update("7-old", 4, List.of(der(nextRoot))));
    String gone = server.target();
    server.close(); // nothing to connect to: the cache is all there is
    Mesh mesh = Mesh.builder().build();
    try (MeshConfigWatcher w = MeshConfigWatcher.builder().target(gone)
        .node(NodeIdentity.of("client-1", "web")).subscribe("orders").mesh(mesh).cacheDirectory(cacheDir)
        .trustBundleTo(credentials).listener(listener).build().start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> "7-old".equals(w.version()));
      assertThat(events).containsExactly("cache 7-old");
      assertThat(credentials.trustRoots()).containsExactly(root.certificate);
    }
  }
}
