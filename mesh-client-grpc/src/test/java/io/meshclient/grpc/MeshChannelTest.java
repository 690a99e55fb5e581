package io.meshclient.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.MeshListener;
import io.meshclient.MeshRejectedException;
import io.meshclient.RandomSource;
import io.meshclient.Rejection;
import io.meshclient.RetryDecision;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.Destination;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryBudgetPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A mesh channel against real Netty servers on loopback. */
class MeshChannelTest {

  @RegisterExtension final GrpcResources grpc = new GrpcResources();

  private final FakeTicker ticker = new FakeTicker();

  /** Retry denials and rejections, as the mesh reports them. */
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());

  private final Mesh mesh =
      Mesh.builder()
          .ticker(ticker)
          .random(RandomSource.seeded(42))
          .listener(
              new MeshListener() {
                @Override
                public void onRetryDenied(String service, RetryDecision reason) {
                  events.add("denied " + reason);
                }

                @Override
                public void onRejected(String service, Rejection reason) {
                  events.add("rejected " + reason);
                }
              })
          .build();

  private static final Map<String, String> V1 = Map.of("version", "v1");
  private static final Map<String, String> V2 = Map.of("version", "v2");

  private static SimpleRequest req(String text) {
    return SimpleRequest.newBuilder().setRequestMessage(text).build();
  }

  private static String backendOf(SimpleResponse r) {
    String s = r.getResponseMessage();
    return s.substring(0, s.indexOf(':'));
  }

  private ServicePolicy.Builder orders(Backend... backends) {
    ServicePolicy.Builder b = ServicePolicy.builder("orders");
    for (Backend be : backends) {
      b.endpoint(be.spec());
    }
    return b;
  }

  private void apply(ServicePolicy.Builder service) {
    mesh.update(
        MeshPolicy.builder().version("v" + System.nanoTime()).service(service.build()).build());
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub stub(ManagedChannel channel) {
    return SimpleServiceGrpc.newBlockingStub(channel);
  }

  private ManagedChannel channel() {
    return grpc.register(MeshGrpc.channel(mesh, "orders"));
  }

  @Test
  void unaryAndServerStreamingCallsSpreadRoundRobin() {
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    Backend c = grpc.backend("c");
    apply(orders(a, b, c).loadBalancer(LbAlgorithm.ROUND_ROBIN));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());

    Map<String, Integer> unary = new ConcurrentHashMap<>();
    for (int i = 0; i < 300; i++) {
      unary.merge(backendOf(stub.unaryRpc(req("x"))), 1, Integer::sum);
    }
    assertThat(unary).containsOnlyKeys("a", "b", "c");
    unary.values().forEach(n -> assertThat(n).isEqualTo(100));

    Map<String, Integer> streams = new ConcurrentHashMap<>();
    for (int i = 0; i < 30; i++) {
      Iterator<SimpleResponse> it = stub.serverStreamingRpc(req("4"));
      List<String> from = new ArrayList<>();
      it.forEachRemaining(r -> from.add(backendOf(r)));
      assertThat(from).hasSize(4).containsOnly(from.get(0)); // a stream stays on one endpoint
      streams.merge(from.get(0), 1, Integer::sum);
    }
    assertThat(streams).containsOnlyKeys("a", "b", "c");
    streams.values().forEach(n -> assertThat(n).isEqualTo(10));
  }

  @Test
  void canaryRouteByMetadataHeader() {
    Backend stable = grpc.backend("stable", V1);
    Backend canary = grpc.backend("canary", V2);
    apply(
        orders(stable, canary)
            .route(Route.of(RouteMatch.header("x-canary", "true"), Destination.subset(V2, 100)))
            .route(Route.of(RouteMatch.pathPrefix("/"), Destination.subset(V1, 100))));
    ManagedChannel channel = channel();
    Metadata canaryHeader = new Metadata();
    canaryHeader.put(Metadata.Key.of("x-canary", Metadata.ASCII_STRING_MARSHALLER), "true");
    SimpleServiceGrpc.SimpleServiceBlockingStub canaryStub =
        stub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(canaryHeader));

    for (int i = 0; i < 50; i++) {
      assertThat(backendOf(canaryStub.unaryRpc(req("c")))).isEqualTo("canary");
      assertThat(backendOf(stub(channel).unaryRpc(req("s")))).isEqualTo("stable");
    }
  }

  @Test
  void weightedSplitFollowsThePolicy() {
    Backend v1 = grpc.backend("v1", V1);
    Backend v2 = grpc.backend("v2", V2);
    apply(
        orders(v1, v2)
            .route(
                Route.of(RouteMatch.ANY, Destination.subset(V1, 80), Destination.subset(V2, 20))));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    int n = 2000;
    int toV2 = 0;
    for (int i = 0; i < n; i++) {
      if (backendOf(stub.unaryRpc(req("w"))).equals("v2")) {
        toV2++;
      }
    }
    assertThat((double) toV2 / n).isBetween(0.17, 0.23);
  }

  @Test
  void abruptDeathMidTrafficFailsNoCallAndTheDeadEndpointIsEjectedThenReturns() throws Exception {
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    apply(
        orders(a, b)
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
            .outlierDetection(
                OutlierDetectionPolicy.builder()
                    .consecutiveFailures(3)
                    .baseEjectionTime(Duration.ofSeconds(10))
                    .maxEjectionTime(Duration.ofSeconds(60))
                    .build()));
    ManagedChannel channel = channel();
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel);

    int threads = 4;
    int perThread = 250;
    AtomicInteger done = new AtomicInteger();
    List<Throwable> failures = new ArrayList<>();
    CountDownLatch killed = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    try {
                      stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(req("k"));
                    } catch (StatusRuntimeException e) {
                      synchronized (failures) {
                        failures.add(e);
                      }
                    }
                    if (done.incrementAndGet() == 200) {
                      b.kill(); // mid-traffic, while the other threads keep calling
                      killed.countDown();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(killed.getCount()).isZero();
    assertThat(failures).isEmpty();
    // Every call answered; a call b had served just as it died may have been served again by a
    // (an idempotent route: at-least-once).
    assertThat(a.served.get() + b.served.get())
        .isBetween(threads * perThread, threads * perThread + 8);

    Endpoint dead = endpoint(b);
    assertThat(dead.isEjected(ticker.read())).isTrue();
    int servedByA = a.served.get();
    for (int i = 0; i < 20; i++) {
      stub.unaryRpc(req("after"));
    }
    assertThat(a.served.get()).isEqualTo(servedByA + 20); // the dead one gets no traffic

    b.restart();
    channel.resetConnectBackoff();
    int before = b.served.get();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              ticker.advance(Duration.ofSeconds(61)); // past any ejection
              stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(req("back"));
              assertThat(b.served.get()).isGreaterThan(before);
            });
  }

  @Test
  void aDeadEndpointsRetriesGoToItsEjectedPeerWhenOutlierDetectionCannotEjectIt() {
    // The demo's failure: the flaky instance had just been ejected (failures in a row) when the
    // other instance of its route died. maxEjectionPercent (one of two) was spent on the flaky
    // one, so the dead one could not be ejected and was all the route's picker held: every retry
    // went back to it, and calls failed "no READY connection" until its breaker opened.
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    apply(
        orders(a, b)
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
            .retry(RetryPolicy.builder().maxAttempts(4).build())
            .outlierDetection(
                OutlierDetectionPolicy.builder()
                    .consecutiveFailures(3)
                    .maxEjectionPercent(50)
                    .build()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());

    b.behavior = Backend.Behavior.FAIL_ALL;
    for (int i = 0; i < 20 && !endpoint(b).isEjected(ticker.read()); i++) {
      assertThat(backendOf(stub.unaryRpc(req("eject b")))).isEqualTo("a"); // b's failures retried
    }
    assertThat(endpoint(b).isEjected(ticker.read())).as("b ejected").isTrue();
    b.behavior = Backend.Behavior.OK;

    a.kill();
    for (int i = 0; i < 20; i++) {
      SimpleResponse r = stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(req("after"));
      assertThat(backendOf(r)).isEqualTo("b");
    }
    assertThat(endpoint(a).isEjected(ticker.read())).as("a: the ejection budget is b's").isFalse();
    assertThat(events).isEmpty();
  }

  private Endpoint endpoint(Backend b) {
    return mesh.service("orders").endpoints().stream()
        .filter(e -> e.address().equals(b.address()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void unavailableThirtyPercentIsRetriedOnTheOtherEndpoint() {
    Backend flaky = grpc.backend("flaky");
    Backend healthy = grpc.backend("healthy");
    flaky.behavior = Backend.Behavior.FLAKY_30;
    apply(
        orders(flaky, healthy)
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
            .outlierDetection(OutlierDetectionPolicy.builder().maxEjectionPercent(0).build()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    for (int i = 0; i < 400; i++) {
      stub.unaryRpc(req("r"));
    }
    int flakyFailures = flaky.received.get() - flaky.served.get();
    assertThat(flakyFailures).isEqualTo(flakyFailuresOf(flaky.received.get()));
    assertThat(events).isEmpty();
    assertThat(mesh.service("orders").stats().retries()).isEqualTo(flakyFailures);
    // Every retry went to the other endpoint.
    assertThat(healthy.received.get()).isEqualTo(400 - flaky.served.get());
  }

  /**
   * How many of the first {@code received} calls a {@link Backend.Behavior#FLAKY_30} backend fails.
   */
  private static int flakyFailuresOf(int received) {
    return received / 10 * 3 + Math.min(received % 10, 3);
  }

  @Test
  void retriesStayWithinTheBudgetWhenEveryEndpointFails() {
    Backend x = grpc.backend("x");
    Backend y = grpc.backend("y");
    x.behavior = Backend.Behavior.FLAKY_30;
    y.behavior = Backend.Behavior.FLAKY_30;
    apply(
        orders(x, y)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
            .retry(
                RetryPolicy.builder().maxAttempts(3).budget(RetryBudgetPolicy.of(0.1, 1)).build())
            .outlierDetection(OutlierDetectionPolicy.builder().maxEjectionPercent(0).build()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    int n = 500;
    int failed = 0;
    for (int i = 0; i < n; i++) {
      try {
        stub.unaryRpc(req("b"));
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        // The caller learns why the mesh stopped retrying.
        assertThat(e.getStatus().getDescription())
            .contains("meshclient: not retried after ")
            .containsAnyOf(
                RetryDecision.BUDGET_EXHAUSTED.description(),
                RetryDecision.ATTEMPTS_EXHAUSTED.description());
        failed++;
      }
    }
    var stats = mesh.service("orders").stats();
    // The fake clock stands still: one budget window, 10 % of requests plus the 1/s floor × 10 s.
    assertThat(stats.retries()).isLessThanOrEqualTo((long) (0.1 * n) + 10);
    assertThat(stats.retriesDenied()).isPositive();
    // Failed calls: budget denials, and the few whose every attempt failed.
    assertThat((long) failed).isGreaterThanOrEqualTo(stats.retriesDenied());
    assertThat(x.received.get() + y.received.get()).isEqualTo(n + (int) stats.retries());
  }

  @Test
  void hangingServerSurfacesDeadlineExceededOnTimeWithoutRetry() {
    Backend hung = grpc.backend("hung");
    hung.behavior = Backend.Behavior.HANG;
    // Real time here: the engine must see the deadline pass to refuse a retry.
    Mesh realTime = Mesh.builder().random(RandomSource.seeded(7)).build();
    realTime.update(
        MeshPolicy.builder()
            .version("1")
            .service(
                orders(hung)
                    .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
                    .retry(
                        RetryPolicy.builder()
                            .maxAttempts(3)
                            .retryOn("DEADLINE_EXCEEDED", "UNAVAILABLE")
                            .build())
                    .build())
            .build());
    SimpleServiceGrpc.SimpleServiceBlockingStub stub =
        stub(grpc.register(MeshGrpc.channel(realTime, "orders")));
    long start = System.nanoTime();
    assertThatThrownBy(() -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).unaryRpc(req("h")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    // Not early, and not a second attempt's worth late (a correctness bound, not a speed claim).
    assertThat(tookMillis).isBetween(290L, 290L + 1_000L);
    assertThat(hung.received.get()).isEqualTo(1);
    var stats = realTime.service("orders").stats();
    assertThat(stats.retries()).isZero();
    assertThat(stats.retriesDenied()).isEqualTo(1); // wanted (DEADLINE_EXCEEDED is listed), refused
  }

  @Test
  void policyTimeoutBoundsCallsWithoutADeadline() {
    Backend hung = grpc.backend("hung");
    hung.behavior = Backend.Behavior.HANG;
    apply(orders(hung).timeout(Duration.ofMillis(200)));
    assertThatThrownBy(() -> stub(channel()).unaryRpc(req("t")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void perTryTimeoutRetriesOnTheOtherEndpoint() {
    Backend hung = grpc.backend("hung");
    Backend ok = grpc.backend("ok");
    hung.behavior = Backend.Behavior.HANG;
    apply(
        orders(hung, ok)
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent())
            .retry(
                RetryPolicy.builder()
                    .perTryTimeout(Duration.ofMillis(150))
                    .retryOn("timeout", "UNAVAILABLE")
                    .build()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    for (int i = 0; i < 4; i++) {
      assertThat(backendOf(stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(req("p"))))
          .isEqualTo("ok");
    }
    assertThat(hung.received.get()).isPositive();
  }

  @Test
  void policyUpdateMidTrafficShiftsTrafficWithoutFailingInFlightCalls() throws Exception {
    Backend v1 = grpc.backend("v1", V1);
    Backend v2 = grpc.backend("v2", V2);
    apply(orders(v1, v2).route(Route.of(RouteMatch.ANY, Destination.subset(V1, 100))));
    ManagedChannel channel = channel();
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel);

    // Streams held open on v1 across the update.
    CountDownLatch gate = new CountDownLatch(1);
    v1.streamGate = gate;
    List<Iterator<SimpleResponse>> open = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Iterator<SimpleResponse> it =
          stub.withDeadlineAfter(20, TimeUnit.SECONDS).serverStreamingRpc(req("3"));
      assertThat(backendOf(it.next())).isEqualTo("v1"); // started, then held by the gate
      open.add(it);
    }

    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> failures = new ArrayList<>();
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> traffic = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        traffic.add(
            pool.submit(
                () -> {
                  while (!stop.get()) {
                    try {
                      seen.merge(backendOf(stub.unaryRpc(req("u"))), 1, Integer::sum);
                    } catch (StatusRuntimeException e) {
                      synchronized (failures) {
                        failures.add(e);
                      }
                    }
                  }
                  return null;
                }));
      }
      await().until(() -> seen.getOrDefault("v1", 0) > 50);
      // All traffic to v2, and v1 leaves the endpoint list while its streams are still open.
      apply(orders(v2).route(Route.of(RouteMatch.ANY, Destination.subset(V2, 100))));
      await().until(() -> seen.getOrDefault("v2", 0) > 20);
      int v1Before = v1.served.get(); // calls routed before the update have landed by now
      int v2Before = seen.get("v2");
      await().until(() -> seen.get("v2") > v2Before + 50);
      assertThat(v1.served.get()).isEqualTo(v1Before); // no new call reached v1
      stop.set(true);
      for (Future<?> f : traffic) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    assertThat(failures).isEmpty();

    gate.countDown();
    for (Iterator<SimpleResponse> it : open) {
      List<String> rest = new ArrayList<>();
      it.forEachRemaining(r -> rest.add(r.getResponseMessage()));
      assertThat(rest).containsExactly("v1:1", "v1:2");
    }
  }

  @Test
  void registeredInstancesComeAndGoWithoutFailingCalls() {
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    // No static endpoints: the service runs on the instances a registry reports.
    apply(ServicePolicy.builder("orders").loadBalancer(LbAlgorithm.ROUND_ROBIN));
    mesh.updateEndpoints("orders", List.of(a.spec()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    for (int i = 0; i < 10; i++) {
      assertThat(backendOf(stub.unaryRpc(req("1")))).isEqualTo("a");
    }
    mesh.updateEndpoints("orders", List.of(a.spec(), b.spec())); // b joins: a new subchannel
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    for (int i = 0; i < 20; i++) {
      seen.merge(
          backendOf(stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(req("2"))),
          1,
          Integer::sum);
    }
    assertThat(seen).containsEntry("a", 10).containsEntry("b", 10);
    mesh.updateEndpoints("orders", List.of(b.spec())); // a leaves
    for (int i = 0; i < 10; i++) {
      assertThat(backendOf(stub.unaryRpc(req("3")))).isEqualTo("b");
    }
  }

  @Test
  void aServerStreamIsRetriedOnlyWhileNothingWasReceived() {
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    apply(
        orders(a, b)
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());

    // Failing before any response: retried on the other endpoint, the caller sees one stream.
    // Round robin sends one of the two calls to a first.
    a.behavior = Backend.Behavior.FAIL_ONCE;
    for (int i = 0; i < 2; i++) {
      List<String> got = new ArrayList<>();
      stub.withDeadlineAfter(5, TimeUnit.SECONDS)
          .serverStreamingRpc(req("3"))
          .forEachRemaining(r -> got.add(r.getResponseMessage()));
      assertThat(got).hasSize(3);
    }
    assertThat(mesh.service("orders").stats().retries()).isEqualTo(1);

    // Failing after a message was received: committed, the failure is the caller's answer.
    a.behavior = Backend.Behavior.FAIL_MID_STREAM;
    b.behavior = Backend.Behavior.FAIL_MID_STREAM;
    Iterator<SimpleResponse> it =
        stub.withDeadlineAfter(5, TimeUnit.SECONDS).serverStreamingRpc(req("3"));
    assertThat(it.next().getResponseMessage()).endsWith(":0");
    assertThatThrownBy(it::next)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(mesh.service("orders").stats().retries()).isEqualTo(1); // no new retry
  }

  @Test
  void streamsAreGuardedByTheConcurrencyLimitAndReleaseTheirSlot() throws Exception {
    Backend a = grpc.backend("a");
    CountDownLatch gate = new CountDownLatch(1);
    a.streamGate = gate;
    apply(
        orders(a).circuitBreaker(CircuitBreakerPolicy.builder().maxConcurrentRequests(2).build()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stub(channel());
    List<Iterator<SimpleResponse>> open = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Iterator<SimpleResponse> it =
          stub.withDeadlineAfter(20, TimeUnit.SECONDS).serverStreamingRpc(req("2"));
      it.next(); // in flight, held open by the gate
      open.add(it);
    }
    assertThatThrownBy(() -> stub.serverStreamingRpc(req("2")).next())
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .contains(Rejection.CONCURRENCY_LIMIT.description());
            });
    gate.countDown();
    for (Iterator<SimpleResponse> it : open) {
      it.forEachRemaining(r -> {});
    }
    a.streamGate = null;
    assertThat(mesh.service("orders").stats().inFlight()).isZero(); // slots released on close
    assertThat(backendOf(stub.unaryRpc(req("after")))).isEqualTo("a");
  }

  @Test
  void aClientStreamIsCommittedByItsFirstMessageAndNotRetried() throws Exception {
    Backend flaky = grpc.backend("flaky");
    Backend healthy = grpc.backend("healthy");
    flaky.behavior = Backend.Behavior.FAIL_ONCE;
    apply(
        orders(flaky, healthy)
            .loadBalancer(LbAlgorithm.ROUND_ROBIN)
            .route(Route.of(RouteMatch.ANY, Destination.all()).asIdempotent()));
    ManagedChannel channel = channel();
    List<Status> outcomes = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 2; i++) { // round robin: one of the two lands on the flaky backend first
      CompletableFuture<Status> done = new CompletableFuture<>();
      StreamObserver<SimpleRequest> out =
          SimpleServiceGrpc.newStub(channel)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .clientStreamingRpc(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(SimpleResponse value) {}

                    @Override
                    public void onError(Throwable t) {
                      done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                      done.complete(Status.OK);
                    }
                  });
      out.onNext(req("x"));
      out.onNext(req("y"));
      out.onCompleted();
      outcomes.add(done.get(10, TimeUnit.SECONDS));
    }
    // The failed stream had sent its messages: it surfaces, it is not replayed elsewhere.
    assertThat(outcomes)
        .extracting(Status::getCode)
        .containsExactlyInAnyOrder(Status.Code.OK, Status.Code.UNAVAILABLE);
    assertThat(mesh.service("orders").stats().retries()).isZero();
    assertThat(flaky.received.get() + healthy.received.get()).isEqualTo(2);
  }

  @Test
  void rejectionsSurfaceAsUnavailableNamingServiceAndReason() {
    ManagedChannel channel = grpc.register(MeshGrpc.channel(mesh, "payments"));
    assertThatThrownBy(() -> stub(channel).unaryRpc(req("?")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .contains("'payments'")
                  .contains(Rejection.UNKNOWN_SERVICE.description());
              assertThat(e.getStatus().getCause())
                  .isInstanceOfSatisfying(
                      MeshRejectedException.class,
                      r -> assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_SERVICE));
            });
  }

  @Test
  void badServiceNamesAreRefusedWithTheExpectedForm() {
    assertThatThrownBy(() -> MeshGrpc.builder(mesh, "orders/v1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "service: 'orders/v1' (expected: a mesh service name without '/' or spaces, such as"
                + " 'orders')");
  }
}
