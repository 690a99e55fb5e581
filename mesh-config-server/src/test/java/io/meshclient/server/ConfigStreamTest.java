package io.meshclient.server;

import static io.meshclient.server.Fixture.watcher;
import static io.meshclient.server.Fixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.config.v1.NodeStatus;
import io.meshclient.config.v1.ServerStatus;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.server.Fixture.RecordingSink;
import io.meshclient.server.cli.Main;
import io.meshclient.server.status.StatusHttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real server and real watchers over loopback. */
class ConfigStreamTest {

  @TempDir Path policies;
  @TempDir Path cacheDir;

  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void eachClientGetsOnlyItsServicesAndOnlyWhenTheyChange() throws Exception {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    write(policies, "payments.yaml", "service: payments\ntimeout: 1s\n");
    try (ConfigServer server = Fixture.warm(Fixture.server(policies).build().start())) {
      RecordingSink a = new RecordingSink();
      RecordingSink b = new RecordingSink();
      try (MeshConfigWatcher wa = watcher(server, "a", a, "orders").build().start();
          MeshConfigWatcher wb = watcher(server, "b", b, "orders", "payments").build().start()) {
        await().atMost(WAIT).until(() -> a.applied == 1 && b.applied == 1);
        assertThat(a.policy.services()).containsOnlyKeys("orders");
        assertThat(b.policy.services()).containsOnlyKeys("orders", "payments");
        String va = wa.version();
        String vb = wb.version();
        assertThat(va).isEqualTo(a.policy.version()).matches("\\d+-[0-9a-f]{12}");

        // A change to payments reaches b only; a's version does not move.
        write(policies, "payments.yaml", "service: payments\ntimeout: 3s\n");
        await().atMost(WAIT).until(() -> b.timeoutOf("payments").equals(Duration.ofSeconds(3)));
        assertThat(a.applied).isEqualTo(1);
        assertThat(wa.version()).isEqualTo(va);
        assertThat(generation(wb.version())).isGreaterThan(generation(vb));

        // Back to the old content: the hash part returns (content-derived), the generation grows.
        write(policies, "payments.yaml", "service: payments\ntimeout: 1s\n");
        await().atMost(WAIT).until(() -> b.timeoutOf("payments").equals(Duration.ofSeconds(1)));
        assertThat(hash(wb.version())).isEqualTo(hash(vb));
        assertThat(generation(wb.version())).isGreaterThan(generation(vb));

        // Both ACKed what they run, as the status shows.
        await().atMost(WAIT).until(() -> server.status().getNodesList().stream()
            .allMatch(n -> n.getAckedVersion().equals(n.getSentVersion())));
        assertThat(server.status().getNodesList()).extracting(NodeStatus::getId, NodeStatus::getAckedVersion)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("a", wa.version()),
                org.assertj.core.groups.Tuple.tuple("b", wb.version()));
      }
    }
  }

  @Test
  void aClientCanChangeItsSubscriptionsOnTheOpenStream() throws Exception {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    write(policies, "payments.yaml", "service: payments\ntimeout: 1s\n");
    try (ConfigServer server = Fixture.server(policies).build().start()) {
      RecordingSink a = new RecordingSink();
      try (MeshConfigWatcher w = watcher(server, "a", a, "orders").build().start()) {
        await().atMost(WAIT).until(() -> a.applied == 1);
        w.subscribe(java.util.Set.of("orders", "payments"));
        await().atMost(WAIT).until(() -> a.policy.services().containsKey("payments"));
        assertThat(server.status().getNodes(0).getSubscriptionsList()).containsExactly("orders", "payments");
        assertThat(server.sessionCount()).isEqualTo(1);
      }
    }
  }

  @Test
  void aBadFileIsRejectedWithItsPathAndReasonAndTheLastGoodVersionKeepsBeingServed() throws Exception {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    try (ConfigServer server = Fixture.warm(Fixture.server(policies).build().start())) {
      RecordingSink a = new RecordingSink();
      try (MeshConfigWatcher w = watcher(server, "a", a, "orders").build().start()) {
        await().atMost(WAIT).until(() -> a.applied == 1);
        String version = server.policyVersion();
        write(policies, "orders.yaml", "service: orders\ntimeout: 2s\nretry: {maxAttempts: 0}\n");
        await().atMost(WAIT).until(() -> server.status().getRejectedFilesCount() == 1);
        ServerStatus s = server.status();
        assertThat(s.getRejectedFiles(0).getFile()).endsWith("orders.yaml");
        assertThat(s.getRejectedFiles(0).getProblems(0)).contains("orders.yaml:3:").contains("orders.retry.maxAttempts")
            .contains("got 0");
        assertThat(server.policyVersion()).isEqualTo(version);
        assertThat(a.applied).isEqualTo(1);
        assertThat(w.version()).isEqualTo(a.policy.version());

        // A new client still gets the last good version.
        RecordingSink late = new RecordingSink();
        try (MeshConfigWatcher w2 = watcher(server, "late", late, "orders").build().start()) {
          await().atMost(WAIT).until(() -> late.applied == 1);
          assertThat(late.timeoutOf("orders")).isEqualTo(Duration.ofSeconds(2));
          assertThat(w2.version()).isNotEmpty();
        }
      }
    }
  }

  @Test
  void aNackKeepsTheClientOnItsPolicyAndTheServerStatusShowsTheError() throws Exception {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    try (ConfigServer server = Fixture.warm(Fixture.server(policies).build().start())) {
      RecordingSink a = new RecordingSink();
      a.refuse = p -> p.service("orders") != null && p.service("orders").timeout().compareTo(Duration.ofSeconds(5)) > 0;
      try (MeshConfigWatcher w = watcher(server, "picky-1", a, "orders").build().start()) {
        await().atMost(WAIT).until(() -> a.applied == 1);
        String good = w.version();

        write(policies, "orders.yaml", "service: orders\ntimeout: 10s\n");
        await().atMost(WAIT).until(() -> !server.status().getNodes(0).getLastError().isEmpty());
        NodeStatus n = server.status().getNodes(0);
        assertThat(n.getId()).isEqualTo("picky-1");
        assertThat(n.getLastError()).contains("orders.timeout above 5s is not supported");
        assertThat(n.getNackedVersion()).isEqualTo(n.getSentVersion()).isNotEqualTo(good);
        assertThat(n.getAckedVersion()).isEqualTo(good);
        assertThat(a.timeoutOf("orders")).isEqualTo(Duration.ofSeconds(2));
        assertThat(w.version()).isEqualTo(good);

        // The same, over HTTP and through the CLI.
        String json = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.statusPort() + "/status")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(StatusHttpServer.fromJson(json).getNodes(0).getLastError()).isEqualTo(n.getLastError());
        assertThat(json).contains("\"lastError\"").contains("\"nackedVersion\"");
        String html = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.statusPort() + "/")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(html).contains("picky-1").contains("not supported by this build");

        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"status", "--server", "127.0.0.1:" + server.statusPort()},
            new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertThat(code).isZero();
        System.out.println(out);
        assertThat(out.toString()).contains("NODE").contains("LAST NACK").contains("picky-1")
            .contains(n.getNackedVersion()).contains("orders.timeout above 5s");

        // Fixed on the server: the client takes the next version.
        write(policies, "orders.yaml", "service: orders\ntimeout: 4s\n");
        await().atMost(WAIT).until(() -> a.timeoutOf("orders").equals(Duration.ofSeconds(4)));
        await().atMost(WAIT).until(() -> server.status().getNodes(0).getAckedVersion().equals(w.version()));
      }
    }
  }

  @Test
  void serverKilledAndRestartedClientsKeepTheirPolicyReconnectAndResync() throws Exception {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    ConfigServer server = Fixture.server(policies).build().start();
    int port = server.port();
    List<RecordingSink> sinks = java.util.stream.Stream.generate(RecordingSink::new).limit(5).toList();
    List<MeshConfigWatcher> watchers = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < sinks.size(); i++) {
        watchers.add(watcher(server, "c" + i, sinks.get(i), "orders").build().start());
      }
      await().atMost(WAIT).until(() -> sinks.stream().allMatch(s -> s.applied == 1));

      server.close();
      await().atMost(WAIT).until(() -> watchers.stream().noneMatch(MeshConfigWatcher::connected));
      // Running on their policy, server gone.
      assertThat(sinks).allSatisfy(s -> assertThat(s.timeoutOf("orders")).isEqualTo(Duration.ofSeconds(2)));

      write(policies, "orders.yaml", "service: orders\ntimeout: 3s\n");
      server = Fixture.server(policies).port(port).build().start();
      await().atMost(WAIT).until(() -> sinks.stream().allMatch(s -> s.timeoutOf("orders").equals(Duration.ofSeconds(3))));
      await().atMost(WAIT).until(() -> watchers.stream().allMatch(MeshConfigWatcher::connected));
      assertThat(server.status().getNodesCount()).isEqualTo(5);
    } finally {
      watchers.forEach(MeshConfigWatcher::close);
      server.close();
    }
  }

  @Test
  void aClientStartedWhileTheServerIsDownRunsFromItsCacheThenResyncs() throws Exception {
    write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    ConfigServer server = Fixture.server(policies).build().start();
    int port = server.port();
    try {
      RecordingSink first = new RecordingSink();
      try (MeshConfigWatcher w = watcher(server, "app-1", first, "orders").cacheDirectory(cacheDir).build().start()) {
        await().atMost(WAIT).until(() -> first.applied == 1);
        await().atMost(WAIT).until(() -> java.nio.file.Files.exists(cacheDir.resolve("meshclient-last-applied.pb")));
        assertThat(w.version()).isNotEmpty();
      }
      server.close();

      // The process restarts; the server is still down.
      RecordingSink restarted = new RecordingSink();
      try (MeshConfigWatcher w = MeshConfigWatcher.builder().target("127.0.0.1:" + port)
          .node(NodeIdentity.of("app-1", "web")).subscribe("orders").sink(restarted).cacheDirectory(cacheDir)
          .backoff(Duration.ofMillis(20), Duration.ofMillis(300)).build().start()) {
        await().atMost(WAIT).until(() -> restarted.applied == 1);
        assertThat(restarted.timeoutOf("orders")).isEqualTo(Duration.ofSeconds(2));
        assertThat(w.connected()).isFalse();

        write(policies, "orders.yaml", "service: orders\ntimeout: 5s\n");
        server = Fixture.server(policies).port(port).build().start();
        await().atMost(WAIT).until(() -> restarted.timeoutOf("orders").equals(Duration.ofSeconds(5)));
      }
    } finally {
      server.close();
    }
  }

  @Test
  void aRegisteredInstanceIsServedToSubscribersAndLeavesAfterTheLeaseGrace() throws Exception {
    write(policies, "payments.yaml", "service: payments\ntimeout: 1s\n");
    try (ConfigServer server = Fixture.server(policies).leaseGrace(Duration.ofMillis(1500)).build().start()) {
      RecordingSink caller = new RecordingSink();
      try (MeshConfigWatcher web = watcher(server, "web-1", caller, "payments").build().start()) {
        await().atMost(WAIT).until(() -> caller.applied == 1);
        assertThat(caller.endpoints).doesNotContainKey("payments");

        MeshConfigWatcher instance = MeshConfigWatcher.builder().target("127.0.0.1:" + server.port())
            .node(new NodeIdentity("payments-1", "payments", "b", Map.of("version", "v1")))
            .register(EndpointSpec.of("127.0.0.1:9001"))
            .sink(io.meshclient.config.PolicySink.none()).build().start();
        await().atMost(WAIT).until(() -> caller.endpoints.containsKey("payments")
            && caller.endpoints.get("payments").size() == 1);
        EndpointSpec ep = caller.endpoints.get("payments").get(0);
        assertThat(ep.address()).isEqualTo("127.0.0.1:9001");
        assertThat(ep.zone()).isEqualTo("b");
        assertThat(ep.labels()).isEqualTo(Map.of("version", "v1"));
        assertThat(caller.mesh.service("payments")).isNotNull();
        assertThat(server.status().getRegistry(0).getState()).isEqualTo("live");

        long closedAt = System.nanoTime();
        instance.close();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> server.status().getRegistryList().stream()
            .anyMatch(e -> e.getState().startsWith("expiring at")));
        assertThat(caller.endpoints.get("payments")).hasSize(1); // still listed during the grace period
        await().atMost(WAIT).until(() -> caller.endpoints.get("payments").isEmpty());
        long gone = System.nanoTime() - closedAt;
        assertThat(Duration.ofNanos(gone)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(server.status().getRegistryCount()).isZero();
        assertThat(web.connected()).isTrue();
      }
    }
  }

  @Test
  void anInstanceThatReconnectsWithinTheGraceStaysRegistered() throws Exception {
    write(policies, "payments.yaml", "service: payments\n");
    try (ConfigServer server = Fixture.server(policies).leaseGrace(Duration.ofSeconds(30)).build().start()) {
      RecordingSink caller = new RecordingSink();
      try (MeshConfigWatcher web = watcher(server, "web-1", caller, "payments").build().start()) {
        NodeIdentity id = NodeIdentity.of("payments-1", "payments");
        MeshConfigWatcher.builder().target("127.0.0.1:" + server.port()).node(id)
            .register(EndpointSpec.of("127.0.0.1:9001")).sink(new RecordingSink()).build().start().close();
        await().atMost(WAIT).until(() -> server.status().getRegistryCount() == 1
            && server.status().getRegistry(0).getState().startsWith("expiring"));
        try (MeshConfigWatcher again = MeshConfigWatcher.builder().target("127.0.0.1:" + server.port()).node(id)
            .register(EndpointSpec.of("127.0.0.1:9001")).sink(new RecordingSink()).build().start()) {
          await().atMost(WAIT).until(() -> server.status().getRegistryCount() == 1
              && server.status().getRegistry(0).getState().equals("live"));
          await().atMost(WAIT).until(() -> caller.endpoints.getOrDefault("payments", List.of()).size() == 1);
          assertThat(again.node().id()).isEqualTo("payments-1");
          assertThat(web.connected()).isTrue();
        }
      }
    }
  }

  @Test
  void aServerRestartNeverEmptiesAServiceWhileItsInstancesComeBack() throws Exception {
    write(policies, "payments.yaml", "service: payments\n");
    Duration grace = Duration.ofSeconds(2);
    ConfigServer server = Fixture.server(policies).leaseGrace(grace).build().start();
    int port = server.port();
    RecordingSink caller = new RecordingSink();
    // The caller reconnects fast, the instance slowly: the worst order for the caller.
    try (MeshConfigWatcher web = watcher(server, "web-1", caller, "payments").build().start();
        MeshConfigWatcher instance = MeshConfigWatcher.builder().target("127.0.0.1:" + port)
            .node(NodeIdentity.of("payments-1", "payments")).register(EndpointSpec.of("127.0.0.1:9001"))
            .sink(io.meshclient.config.PolicySink.none())
            .backoff(Duration.ofMillis(800), Duration.ofMillis(1000)).build().start()) {
      await().atMost(WAIT).until(() -> caller.endpoints.getOrDefault("payments", List.of()).size() == 1);

      server.close();
      await().atMost(WAIT).until(() -> !web.connected() && !instance.connected());
      server = Fixture.server(policies).port(port).leaseGrace(grace).build().start();
      ConfigServer restarted = server;
      assertThat(restarted.status().getRegistryWarmUntil()).isNotEmpty();
      await().atMost(WAIT).until(web::connected);
      await().atMost(WAIT).until(() -> restarted.status().getRegistryCount() == 1);
      // The warm-up ends with an authoritative push; the instance is in it.
      await().atMost(WAIT).until(() -> restarted.status().getRegistryWarmUntil().isEmpty());
      assertThat(caller.endpoints.get("payments")).extracting(EndpointSpec::address).containsExactly("127.0.0.1:9001");
      assertThat(caller.endpointHistory).as("the caller never lost the service's endpoints")
          .containsOnly("payments=[127.0.0.1:9001]");
    } finally {
      server.close();
    }
  }

  private static long generation(String version) {
    return Long.parseLong(version.substring(0, version.indexOf('-')));
  }

  private static String hash(String version) {
    return version.substring(version.indexOf('-') + 1);
  }
}
