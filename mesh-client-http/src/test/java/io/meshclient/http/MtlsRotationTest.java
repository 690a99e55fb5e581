package io.meshclient.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshclient.Mesh;
import io.meshclient.RandomSource;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import io.meshclient.http.testing.MtlsHttpServer;
import io.meshclient.testing.TestCa;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Changes under continuous traffic from 4 threads, with zero failed calls: a policy flip
 * DISABLE→STRICT→DISABLE, identity rotations on both sides, and a CA root rotation with overlap.
 * Real servers on loopback, real certificates, real TLS 1.3 handshakes.
 */
class MtlsRotationTest {

  static final String ORDERS = "spiffe://example.org/ns/shop/sa/orders";
  static final String FRONTEND = "spiffe://example.org/ns/shop/sa/frontend";
  static final Duration WAIT = Duration.ofSeconds(30);

  TestCa ca;
  MeshCredentials serverCreds;
  MeshCredentials clientCreds;
  final List<String> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
  final List<AutoCloseable> closeables = new ArrayList<>();
  OkHttpClient client;
  Mesh mesh;

  @BeforeEach
  void setUp() throws Exception {
    ca = new TestCa("mesh-root-1");
    serverCreds = MeshCredentials.create(ca.issue(ORDERS), List.of(ca.certificate), reports::add);
    clientCreds = MeshCredentials.create(ca.issue(FRONTEND), List.of(ca.certificate), reports::add);
    mesh = Mesh.builder().random(RandomSource.seeded(5)).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      Fleet.shutdown(client);
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private MtlsHttpServer server(String name, TlsMode inbound, boolean acceptPlaintext) throws Exception {
    MtlsHttpServer s = new MtlsHttpServer(
        name, serverCreds.serverSslContext(PeerPolicy.fixed("inbound", inbound, List.of(FRONTEND))), acceptPlaintext);
    closeables.add(s);
    return s;
  }

  private void policy(String version, TlsMode mode, MtlsHttpServer... servers) {
    ServicePolicy.Builder b = ServicePolicy.builder("orders").tls(mode).identities(List.of(ORDERS));
    for (MtlsHttpServer s : servers) {
      b.endpoint(EndpointSpec.of("127.0.0.1:" + s.port()));
    }
    mesh.update(MeshPolicy.builder().version(version).service(b.build()).build());
  }

  /**
   * GETs from 4 threads until stopped. The test moves it through stable phases (0, 1, 2...) by
   * {@link #change}; a call is checked against a phase's expected transport only when it started
   * and ended inside that phase, with no change under way.
   */
  private final class Traffic {
    /** 2k: stable phase k; 2k+1: the change to phase k+1 is under way. */
    private final AtomicInteger phase = new AtomicInteger();
    private final AtomicInteger[] okInPhase = new AtomicInteger[8];
    final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> wrongTransport = new ConcurrentLinkedQueue<>();
    final AtomicReference<String> lastBody = new AtomicReference<>("");
    /** The transport ("tls" or "plain") each phase's calls must use. */
    private final String[] expected;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final List<Future<?>> workers = new ArrayList<>();

    Traffic(String... expected) {
      this.expected = expected;
      for (int i = 0; i < okInPhase.length; i++) {
        okInPhase[i] = new AtomicInteger();
      }
      for (int t = 0; t < 4; t++) {
        workers.add(pool.submit(this::run));
      }
    }

    private void run() {
      while (!stop.get()) {
        int started = phase.get();
        try {
          String body = Fleet.get(client, "http://orders/x");
          lastBody.set(body);
          if (started % 2 == 0 && phase.get() == started) {
            int k = started / 2;
            String got = body.contains(" tls " + FRONTEND + " ") ? "tls" : body.endsWith(" plain") ? "plain" : body;
            if (!expected[k].equals(got)) {
              wrongTransport.add("phase " + k + ": " + body);
            }
            okInPhase[k].incrementAndGet();
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      }
    }

    /** Waits for {@code calls} successful calls within the current phase. */
    void awaitCalls(int calls) {
      int k = phase.get() / 2;
      await().atMost(WAIT).until(() -> okInPhase[k].get() >= calls || !failures.isEmpty());
    }

    /** Applies {@code change}, enters the next phase and waits for {@code calls} calls in it. */
    void change(ThrowingRunnable change, int calls) throws Exception {
      phase.incrementAndGet();
      change.run();
      phase.incrementAndGet();
      awaitCalls(calls);
    }

    /** Stops the threads (idempotent) and waits for their last calls. */
    void stop() throws Exception {
      stop.set(true);
      for (Future<?> w : workers) {
        w.get(20, TimeUnit.SECONDS);
      }
      pool.shutdown();
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static BigInteger serverSerialIn(String body) {
    return new BigInteger(body.substring(body.lastIndexOf(' ') + 1));
  }

  @Test
  void policyFlipDisableStrictDisableMidTrafficFailsNoCallAndNeverMixesTransports() throws Exception {
    // Servers in PERMISSIVE inbound mode: TLS and plaintext on one port, as during a migration.
    MtlsHttpServer a = server("a", TlsMode.PERMISSIVE, true);
    MtlsHttpServer b = server("b", TlsMode.PERMISSIVE, true);
    policy("1", TlsMode.DISABLE, a, b);
    client = MeshHttp.builder(mesh).credentials(clientCreds).client();
    Traffic traffic = new Traffic("plain", "tls", "plain");
    try {
      traffic.awaitCalls(100);
      // Every call made under STRICT is mTLS: no pooled plaintext connection is reused...
      traffic.change(() -> policy("2", TlsMode.STRICT, a, b), 200);
      // ...and back under DISABLE, plaintext again, not the pooled mTLS connections.
      traffic.change(() -> policy("3", TlsMode.DISABLE, a, b), 200);
      traffic.stop();
      assertThat(traffic.failures).as("failed calls").isEmpty();
      assertThat(traffic.wrongTransport).as("calls on the wrong transport").isEmpty();
    } finally {
      traffic.stop();
    }
    assertThat(a.callerSerials).isNotEmpty();
    assertThat(b.callerSerials).isNotEmpty();
    assertThat(reports).isEmpty();
  }

  @Test
  void identityRotationsOnBothSidesUnderTrafficFailNoCall() throws Exception {
    MtlsHttpServer server = server("orders", TlsMode.STRICT, false);
    policy("1", TlsMode.STRICT, server);
    client = MeshHttp.builder(mesh).credentials(clientCreds).client();
    Traffic traffic = new Traffic("tls", "tls", "tls", "tls");
    try {
      traffic.awaitCalls(50);
      for (int rotation = 1; rotation <= 3; rotation++) {
        traffic.change(() -> {
          serverCreds.update(ca.issue(ORDERS));
          clientCreds.update(ca.issue(FRONTEND)); // retires the client's connections
        }, 50);
        BigInteger newClient = clientCreds.identity().leaf().getSerialNumber();
        BigInteger newServer = serverCreds.identity().leaf().getSerialNumber();
        // Peers see the new identities soon: new connections replace the retired ones.
        await().atMost(WAIT).until(() -> server.callerSerials.contains(newClient) || !traffic.failures.isEmpty());
        await().atMost(WAIT).until(() -> serverSerialIn(traffic.lastBody.get()).equals(newServer) || !traffic.failures.isEmpty());
      }
      traffic.stop();
      assertThat(traffic.failures).as("failed calls").isEmpty();
      assertThat(traffic.wrongTransport).isEmpty();
    } finally {
      traffic.stop();
    }
    assertThat(new HashSet<>(server.callerSerials)).as("client certificates the server saw").hasSizeGreaterThanOrEqualTo(4);
    assertThat(server.failedHandshakes).hasValue(0);
  }

  @Test
  void caRootRotationWithOverlapUnderTrafficFailsNoCall() throws Exception {
    MtlsHttpServer server = server("orders", TlsMode.STRICT, false);
    policy("1", TlsMode.STRICT, server);
    client = MeshHttp.builder(mesh).credentials(clientCreds).client();
    TestCa next = new TestCa("mesh-root-2");
    Traffic traffic = new Traffic("tls", "tls", "tls", "tls", "tls");
    try {
      traffic.awaitCalls(50);
      // Trust changes and the server's rotation do not retire the client's connections: the server
      // drains its connections (Connection: close), so that each step sees new handshakes.
      // 1. Both sides trust both roots.
      traffic.change(() -> {
        serverCreds.updateTrust(List.of(ca.certificate, next.certificate));
        clientCreds.updateTrust(List.of(ca.certificate, next.certificate));
        server.drain();
      }, 50);
      // 2. The server moves to a certificate from the new root (the client still has the old one).
      traffic.change(() -> {
        serverCreds.update(next.issue(ORDERS));
        server.drain();
      }, 50);
      BigInteger newServer = serverCreds.identity().leaf().getSerialNumber();
      await().atMost(WAIT).until(() -> serverSerialIn(traffic.lastBody.get()).equals(newServer) || !traffic.failures.isEmpty());
      // 3. The client moves too (its update retires its connections).
      traffic.change(() -> clientCreds.update(next.issue(FRONTEND)), 50);
      BigInteger newClient = clientCreds.identity().leaf().getSerialNumber();
      await().atMost(WAIT).until(() -> server.callerSerials.contains(newClient) || !traffic.failures.isEmpty());
      // 4. The old root leaves both bundles.
      int before = server.callerSerials.size();
      traffic.change(() -> {
        serverCreds.updateTrust(List.of(next.certificate));
        clientCreds.updateTrust(List.of(next.certificate));
        server.drain();
      }, 100);
      await().atMost(WAIT).until(() -> server.callerSerials.size() > before || !traffic.failures.isEmpty());
      traffic.stop();
      assertThat(traffic.failures).as("failed calls").isEmpty();
      assertThat(traffic.wrongTransport).isEmpty();
      // The handshakes after the old root left were made with the new root's certificates only.
      assertThat(server.callerSerials.subList(before, server.callerSerials.size())).containsOnly(newClient);
    } finally {
      traffic.stop();
    }
    assertThat(server.failedHandshakes).hasValue(0);
  }
}
