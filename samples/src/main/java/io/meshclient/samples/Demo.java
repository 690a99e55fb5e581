package io.meshclient.samples;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Mesh;
import io.meshclient.ServiceHandle;
import io.meshclient.config.CertificateListener;
import io.meshclient.config.CertificateRenewer;
import io.meshclient.config.ConfigChannels;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.config.WatcherListener;
import io.meshclient.grpc.MeshGrpc;
import io.meshclient.http.MeshHttp;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.TlsMode;
import io.meshclient.server.ConfigServer;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.WorkloadIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The MeshClient demo: a config server, three instances of a sample service (one slow and failing
 * part of the time) and a client calling them over HTTP and gRPC from four threads, while the
 * policy is changed live, an instance is killed and brought back, and an invalid policy is
 * pushed. Ends with a summary; exits with status 1 if the caller saw a failure.
 *
 * <p>{@code java -jar samples/target/meshclient-demo.jar [--seconds N] [--policies DIR]}
 */
public final class Demo {

  /** Held so that the level set on it stays (java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.meshclient");

  static {
    // Before any JDK HTTP server starts (the config server's status page is one): its settings
    // are read once, and without TCP_NODELAY every small answer waits for a delayed ACK (~40 ms).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    // Each issuance and renewal is logged at INFO; the live view tells the story instead.
    QUIET.setLevel(java.util.logging.Level.WARNING);
  }


  private static final String HTTP_SERVICE = "orders";
  private static final String GRPC_SERVICE = "orders-grpc";
  private static final String TRUST_DOMAIN = "demo.local";
  /** The identity of the instances (the policies allow only it) and of the caller. */
  private static final String ORDERS_ID = "spiffe://demo.local/ns/shop/sa/orders";
  private static final String CALLER_ID = "spiffe://demo.local/ns/shop/sa/web";

  private final PrintStream out;
  private final Duration length;
  private final Path policies;
  private final boolean terminal;

  private final List<SampleService> instances = new ArrayList<>();
  private final Map<String, List<MeshConfigWatcher>> registrations = new java.util.HashMap<>();
  private final List<String> versionsApplied = new CopyOnWriteArrayList<>();
  private final List<String> rejections = new CopyOnWriteArrayList<>();
  private final List<String> failureSamples = new CopyOnWriteArrayList<>();
  private final Counter httpTotals = new Counter();
  private final Counter grpcTotals = new Counter();
  private final DemoTraces traces = new DemoTraces();
  private ConfigServer server;
  private LiveView view;

  // Identity: the config server's CA issues every workload a short-lived certificate.
  private final Duration certificateTtl;
  private final List<CertificateRenewer> renewers = new CopyOnWriteArrayList<>();
  private final Map<String, MeshCredentials> identities = new java.util.concurrent.ConcurrentHashMap<>();
  private final AtomicInteger callerCertificates = new AtomicInteger();
  private final AtomicInteger instanceCertificates = new AtomicInteger();
  private final List<String> rotationSteps = new CopyOnWriteArrayList<>();
  private Path caDir;
  private CertificateAuthority ca;
  private String oldRoot;

  Demo(PrintStream out, Duration length, Path policies, boolean terminal) {
    this.out = out;
    this.length = length;
    this.policies = policies;
    this.terminal = terminal;
    // Short enough that the run shows several renewals, each at half the lifetime.
    long ttl = Math.max(8, Math.min(60, length.toSeconds() / 4));
    this.certificateTtl = Duration.ofSeconds(ttl);
  }

  public static void main(String[] args) throws Exception {
    Duration length = Duration.ofSeconds(60);
    Path policies = Path.of("target", "demo-policies");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> length = Duration.ofSeconds(Long.parseLong(args[++i]));
        case "--policies" -> policies = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + " (expected: --seconds N, --policies DIR)");
          System.exit(2);
        }
      }
    }
    boolean terminal = System.console() != null && System.getenv("CI") == null;
    int status = new Demo(System.out, length, policies, terminal).run();
    System.exit(status);
  }

  /** Runs the demo; returns the exit status (0: the caller saw no failure). */
  int run() throws Exception {
    long seconds = length.toSeconds();
    copyPolicies();
    caDir = Files.createTempDirectory("meshclient-demo-ca"); // 0700: holds the CA key
    ca =
        CertificateAuthority.builder()
            .stateDirectory(caDir.resolve("ca"))
            .trustDomain(TRUST_DOMAIN)
            .minimumTtl(Duration.ofSeconds(5)) // the demo's short lifetimes; the CLI's floor is 1 min
            .defaultTtl(certificateTtl)
            .build();
    Map<String, String> tokens = Map.of("web", newToken(), "orders", newToken());
    server =
        ConfigServer.builder()
            .policies(policies)
            .port(0)
            .statusPort(0)
            .leaseGrace(Duration.ofSeconds(2))
            .debounce(Duration.ofMillis(100))
            .certificateAuthority(ca)
            .tokens(writeTokens(caDir.resolve("tokens.yaml"), tokens))
            .tls(List.of("127.0.0.1", "localhost"))
            .requireIdentity(true) // streams need a workload certificate; registrations are checked
            .build()
            .start();
    oldRoot = root(ca.signingCertificate());
    out.printf("config server on 127.0.0.1:%d (TLS; streams need a workload certificate), status page http://127.0.0.1:%d/status, policies in %s%n",
        server.port(), server.statusPort(), policies.toAbsolutePath());
    out.printf("CA %s for spiffe://%s; workload certificates live %d s and are renewed at half-life%n",
        oldRoot, TRUST_DOMAIN, certificateTtl.toSeconds());

    PeerPolicy fromCaller = PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of(CALLER_ID));
    instances.add(new SampleService("a", "v1", "zone-a", SampleService.Behaviour.HEALTHY, 1));
    instances.add(new SampleService("b", "v1", "zone-b", new SampleService.Behaviour(0.2, 150, 0.1), 2));
    instances.add(new SampleService("c", "v2", "zone-a", SampleService.Behaviour.HEALTHY, 3));
    for (SampleService s : instances) {
      MeshCredentials id = identity(s.name(), tokens.get("orders"), instanceCertificates, false);
      s.mtls(id, fromCaller, certificateTtl.dividedBy(2)).start();
      register(s);
    }

    Mesh mesh = Mesh.builder().build();
    MeshCredentials callerId = identity("caller", tokens.get("web"), callerCertificates, true);
    MeshConfigWatcher client =
        MeshConfigWatcher.builder()
            .target(configTarget(), ConfigChannels.mtls(callerId::trustRoots, callerId))
            .trustBundleTo(callerId)
            .node(NodeIdentity.of("demo-client", "demo-client"))
            .mesh(mesh)
            .subscribe(HTTP_SERVICE, GRPC_SERVICE)
            .listener(
                new WatcherListener() {
                  @Override
                  public void onApplied(String version, MeshPolicy policy) {
                    versionsApplied.add(version);
                    if (view != null) {
                      view.event("client applied policy version " + version);
                    }
                  }

                  @Override
                  public void onRejected(String version, String reason) {
                    rejections.add(version + ": " + reason);
                  }
                })
            .build()
            .start();
    awaitEndpoints(mesh, HTTP_SERVICE, 3);
    awaitEndpoints(mesh, GRPC_SERVICE, 3);

    OkHttpClient http = MeshHttp.builder(mesh).credentials(callerId).openTelemetry(traces.sdk()).client();
    ManagedChannel channel =
        MeshGrpc.builder(mesh, GRPC_SERVICE).credentials(callerId).openTelemetry(traces.sdk()).build();
    view = new LiveView(out, terminal, mesh, instances, List.of(HTTP_SERVICE, GRPC_SERVICE));
    view.event("3 instances registered; client subscribed to " + HTTP_SERVICE + " and " + GRPC_SERVICE);

    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      callers.add(caller("http-caller-" + i, running, () -> callHttp(http)));
      callers.add(caller("grpc-caller-" + i, running, () -> callGrpc(channel)));
    }
    callers.forEach(Thread::start);

    // The script, scaled to the run's length (60 s by default).
    long start = System.nanoTime();
    long[] at = {
      seconds * 15 / 100, seconds * 25 / 100, seconds * 35 / 100, seconds * 45 / 100,
      seconds * 55 / 100, seconds * 70 / 100, seconds * 80 / 100, seconds * 85 / 100
    };
    int step = 0;
    for (long t = 0; t <= seconds; t++) {
      sleepUntil(start + TimeUnit.SECONDS.toNanos(t));
      if (step < at.length && t >= at[step]) {
        step(step++);
      }
      view.render(t, httpTotals, grpcTotals);
    }
    running.set(false);
    for (Thread t : callers) {
      t.join();
    }
    return summary(mesh, client, http, channel);
  }

  private void step(int step) throws Exception {
    switch (step) {
      case 0 -> {
        view.event("shifting the canary: v2 gets 50% instead of 10% (rewriting the policy files)");
        rewrite(HTTP_SERVICE, "weight: 90}, {subset: {version: v2}, weight: 10}", "weight: 50}, {subset: {version: v2}, weight: 50}");
        rewrite(GRPC_SERVICE, "weight: 90}, {subset: {version: v2}, weight: 10}", "weight: 50}, {subset: {version: v2}, weight: 50}");
      }
      case 1 -> {
        ca.prepareRotation();
        view.event("CA root rotation, step 1: new root " + root(ca.trustBundle().get(ca.trustBundle().size() - 1))
            + " added to the trust bundle (pushed to every workload); still signing with " + oldRoot);
        rotationSteps.add("prepared");
      }
      case 2 -> {
        view.event("killing instance a abruptly (its connections are cut, its lease lapses)");
        SampleService a = instances.get(0);
        a.kill();
        for (MeshConfigWatcher w : registrations.remove(a.name())) {
          w.close();
        }
      }
      case 3 -> {
        ca.activateRotation();
        view.event("CA root rotation, step 2: signing with " + root(ca.signingCertificate())
            + "; workloads move to it as they renew");
        rotationSteps.add("activated");
      }
      case 4 -> {
        view.event("bringing instance a back on the same ports");
        SampleService a = instances.get(0);
        a.start();
        register(a);
      }
      case 5 -> {
        view.event("pushing an invalid policy (retry budget ratio 1.5): it must be refused, nothing breaks");
        rewrite(HTTP_SERVICE, "ratio: 0.2", "ratio: 1.5");
      }
      case 6 -> {
        String newRoot = root(ca.signingCertificate());
        long onOld = identities.values().stream().filter(c -> !root(c.identity().leaf()).equals(newRoot)).count();
        ca.retireRotation();
        view.event("CA root rotation, step 3: old root " + oldRoot + " retired from the bundle ("
            + (onOld == 0 ? "every workload holds a certificate from " + newRoot : onOld + " workload(s) still on the old root")
            + ")");
        rotationSteps.add(onOld == 0 ? "retired" : "retired early");
      }
      case 7 -> {
        var status = server.status();
        if (status.getRejectedFilesCount() == 0) {
          view.event("(the server reports no rejected file)");
        }
        for (var rejected : status.getRejectedFilesList()) {
          view.event("server refused " + rejected.getFile() + ": " + String.join("; ", rejected.getProblemsList())
              + "; still serving version " + status.getPolicyVersion());
        }
        rewrite(HTTP_SERVICE, "ratio: 1.5", "ratio: 0.2");
        view.event("restored the valid policy");
      }
      default -> {}
    }
  }

  /**
   * A workload's identity: a certificate from the config server's CA for the SPIFFE ID its
   * bootstrap token grants, its key made here, renewed at half-life in the background.
   */
  private MeshCredentials identity(String who, String token, AtomicInteger issued, boolean tell) throws Exception {
    AtomicReference<MeshCredentials> self = new AtomicReference<>();
    CertificateRenewer renewer =
        CertificateRenewer.builder()
            .target(configTarget(), configTls(self))
            .bearerToken(() -> token)
            .ttl(certificateTtl)
            .listener(
                new CertificateListener() {
                  @Override
                  public void onIssued(WorkloadIdentity identity, Instant renewAt) {
                    if (issued.incrementAndGet() > 1 && tell && view != null) {
                      view.event(who + " certificate renewed: " + identity.id() + " serial "
                          + identity.leaf().getSerialNumber().toString(16).substring(0, 8) + "… from "
                          + root(identity.leaf()));
                    }
                  }

                  @Override
                  public void onFailed(String reason, Duration retryIn) {
                    if (view != null) {
                      view.event(who + " certificate renewal failed (retrying in " + retryIn.toMillis() + " ms): " + reason);
                    }
                  }
                })
            .build();
    renewers.add(renewer);
    MeshCredentials credentials = renewer.start(Duration.ofSeconds(30));
    self.set(credentials);
    identities.put(who, credentials);
    return credentials;
  }

  private String configTarget() {
    return "127.0.0.1:" + server.port();
  }

  /** TLS to the config port, trusting the bootstrap bundle, then the workload's own (it follows rotations). */
  private ChannelCredentials configTls(AtomicReference<MeshCredentials> workload) {
    List<X509Certificate> bootstrap = ConfigChannels.readPem(caDir.resolve("ca").resolve("bundle.pem"));
    return ConfigChannels.tls(() -> {
      MeshCredentials c = workload.get();
      return c == null ? bootstrap : c.trustRoots();
    });
  }

  /** The common name of the root that issued {@code certificate}, or of a root itself. */
  private String root(X509Certificate certificate) {
    for (X509Certificate r : ca.trustBundle()) {
      if (r.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())
          && (r.equals(certificate) || verifies(certificate, r))) {
        return r.getSubjectX500Principal().getName().replaceFirst("^CN=", "").replaceFirst(",.*", "");
      }
    }
    return oldRoot != null ? oldRoot : certificate.getIssuerX500Principal().getName();
  }

  private static boolean verifies(X509Certificate certificate, X509Certificate root) {
    try {
      certificate.verify(root.getPublicKey());
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private static String newToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The bootstrap tokens file: only the tokens' SHA-256, so it holds no secret. */
  private static Path writeTokens(Path file, Map<String, String> tokens) throws Exception {
    StringBuilder yaml = new StringBuilder();
    for (Map.Entry<String, String> t : tokens.entrySet()) {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(t.getValue().getBytes(StandardCharsets.UTF_8));
      yaml.append("- {namespace: shop, service: ").append(t.getKey())
          .append(", sha256: ").append(HexFormat.of().formatHex(hash)).append("}\n");
    }
    return Files.writeString(file, yaml.toString(), StandardCharsets.UTF_8);
  }

  private void rewrite(String service, String from, String to) throws IOException {
    Path file = policies.resolve(service + ".yaml");
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (!text.contains(from)) {
      view.event("(could not find '" + from + "' in " + file + ": was it edited by hand? step skipped)");
      return;
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text.replace(from, to), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private void register(SampleService s) {
    Map<String, String> labels = Map.of("version", s.version());
    List<MeshConfigWatcher> ws = new ArrayList<>();
    ws.add(registration(s, HTTP_SERVICE, s.httpPort(), labels));
    ws.add(registration(s, GRPC_SERVICE, s.grpcPort(), labels));
    registrations.put(s.name(), ws);
  }

  private MeshConfigWatcher registration(SampleService s, String service, int port, Map<String, String> labels) {
    MeshCredentials id = identities.get(s.name());
    return MeshConfigWatcher.builder()
        .target(configTarget(), ConfigChannels.mtls(id::trustRoots, id))
        .trustBundleTo(id)
        .node(NodeIdentity.of(s.name() + "-" + service, service).withZone(s.zone()).withLabels(labels))
        .sink(IGNORE_POLICY)
        .register(new EndpointSpec("127.0.0.1:" + port, s.zone(), 1, labels))
        .build()
        .start();
  }

  /** The instances only register themselves; they call no one, so they ignore policy. */
  private static final io.meshclient.config.PolicySink IGNORE_POLICY =
      new io.meshclient.config.PolicySink() {
        @Override
        public void apply(MeshPolicy policy) {}

        @Override
        public void endpoints(String service, List<EndpointSpec> endpoints) {}
      };

  private static void awaitEndpoints(Mesh mesh, String service, int count) throws InterruptedException {
    ServiceHandle h = mesh.service(service);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (h.endpoints().size() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the client did not see " + count + " endpoints of " + service
            + " within 30 s (saw " + h.endpoints().size() + ")");
      }
      Thread.sleep(50); // the demo's own start-up wait
    }
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  private Thread caller(String name, AtomicBoolean running, Runnable call) {
    io.opentelemetry.api.trace.Tracer tracer = traces.sdk().getTracer("meshclient-demo");
    Thread t = new Thread(() -> {
      while (running.get()) {
        // The application's own span: every attempt of the call becomes its child, one trace.
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder(name).startSpan();
        io.opentelemetry.context.Scope scope = span.makeCurrent();
        try {
          call.run();
        } finally {
          scope.close();
          span.end();
        }
        try {
          Thread.sleep(5); // pace the load: about 200 calls per second per thread
        } catch (InterruptedException e) {
          return;
        }
      }
    }, name);
    t.setDaemon(true);
    return t;
  }

  private final AtomicLong requestIds = new AtomicLong();

  private void callHttp(OkHttpClient http) {
    httpTotals.requests.incrementAndGet();
    Request request = new Request.Builder().url("http://orders/orders/" + requestIds.incrementAndGet()).build();
    try (Response response = http.newCall(request).execute()) {
      if (!response.isSuccessful()) {
        fail(httpTotals, "HTTP " + response.code() + " from " + response.header("x-served-by"));
      }
    } catch (IOException | RuntimeException e) {
      fail(httpTotals, "HTTP " + e);
    }
  }

  private void callGrpc(ManagedChannel channel) {
    grpcTotals.requests.incrementAndGet();
    try {
      SimpleServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(3, TimeUnit.SECONDS)
          .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("order").build());
    } catch (StatusRuntimeException e) {
      fail(grpcTotals, "gRPC " + e.getStatus());
    }
  }

  private void fail(Counter c, String what) {
    c.failures.incrementAndGet();
    if (failureSamples.size() < 10) {
      failureSamples.add(what);
      view.event("caller saw a failure: " + what);
    }
  }

  private int summary(Mesh mesh, MeshConfigWatcher client, OkHttpClient http, ManagedChannel channel) throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    client.close();
    for (List<MeshConfigWatcher> ws : registrations.values()) {
      for (MeshConfigWatcher w : ws) {
        w.close();
      }
    }
    for (SampleService s : instances) {
      s.kill();
    }
    for (CertificateRenewer r : renewers) {
      r.close();
    }
    server.close();
    deleteTree(caDir);

    long failures = httpTotals.failures.get() + grpcTotals.failures.get();
    out.println();
    out.println("=== summary ===");
    out.printf(Locale.ROOT, "requests sent: %d HTTP, %d gRPC%n", httpTotals.requests.get(), grpcTotals.requests.get());
    out.printf(Locale.ROOT, "failures seen by the caller: %d (expected: 0)%n", failures);
    for (String service : List.of(HTTP_SERVICE, GRPC_SERVICE)) {
      ServiceHandle.Stats st = mesh.service(service).stats();
      long allowed = (long) (0.2 * st.requests()) + 10L * length.toSeconds();
      out.printf(Locale.ROOT,
          "%-12s retries used %d of a budget of about %d (20%% of %d requests + 10/s), denied %d, ejections %d%n",
          service, st.retries(), allowed, st.requests(), st.retriesDenied(), st.ejections());
    }
    Set<BigInteger> seen = new HashSet<>();
    long mtlsCalls = 0;
    for (SampleService s : instances) {
      seen.addAll(s.callerSerials());
      mtlsCalls += s.mtlsCalls();
    }
    out.printf(Locale.ROOT,
        "mTLS (STRICT, %s): %d calls received over mTLS; caller certificates issued: %d, instance certificates"
            + " issued: %d; distinct caller certificates seen by the instances: %d%n",
        CALLER_ID, mtlsCalls, callerCertificates.get(), instanceCertificates.get(), seen.size());
    out.println("CA root rotation " + oldRoot + " → " + root(ca.signingCertificate()) + ": "
        + (rotationSteps.isEmpty() ? "not started (run longer)" : String.join(" → ", rotationSteps))
        + "; trust bundle now " + ca.trustBundle().size() + " root(s)");
    out.println("policy versions applied by the client: " + String.join(" → ", versionsApplied));
    out.println("updates the client refused (NACKed): " + (rejections.isEmpty() ? "none" : rejections));
    traces.print(out);
    failureSamples.forEach(f -> out.println("  failure: " + f));
    out.println(failures == 0 ? "OK: no request failed" : "FAILED: the caller saw failures");
    return failures == 0 ? 0 : 1;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private void copyPolicies() throws IOException {
    Files.createDirectories(policies);
    for (String name : List.of(HTTP_SERVICE + ".yaml", GRPC_SERVICE + ".yaml")) {
      try (InputStream in = Demo.class.getResourceAsStream("/demo-policies/" + name)) {
        if (in == null) {
          throw new IllegalStateException("demo policy " + name + " missing from the jar");
        }
        Files.copy(in, policies.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /** Requests and failures of one protocol, as the caller saw them. */
  private static final class Counter implements LiveView.Totals {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong failures = new AtomicLong();

    @Override
    public long requests() {
      return requests.get();
    }

    @Override
    public long failures() {
      return failures.get();
    }
  }
}
