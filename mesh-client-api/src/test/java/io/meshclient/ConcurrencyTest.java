package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryBudgetPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Eight threads drive calls (successes, failures, retries, hedges, abandoned attempts) while
 * another swaps the policy every millisecond: nothing throws, and every in-flight counter returns
 * to zero. Real time here; the run is bounded by counts.
 */
class ConcurrencyTest {

  private static final int WORKERS = 8;
  private static final int SWAPS = 300;
  private static final int MIN_CALLS_PER_WORKER = 5_000;
  private static final int MAX_CALLS_PER_WORKER = 200_000;

  private static final List<EndpointSpec> POOL =
      List.of(
          EndpointSpec.of("10.0.0.1:80").withZone("a"),
          EndpointSpec.of("10.0.0.2:80").withZone("a").withWeight(3),
          EndpointSpec.of("10.0.0.3:80").withZone("b"),
          EndpointSpec.of("10.0.0.4:80").withZone("b").withWeight(2),
          EndpointSpec.of("10.0.0.5:80").withZone("c"));

  /** Policies differing in everything that is compiled: algorithm, endpoints, limits, breaker. */
  private static List<MeshPolicy> policies() {
    List<MeshPolicy> out = new ArrayList<>();
    LbAlgorithm[] algorithms = LbAlgorithm.values();
    for (int i = 0; i < 10; i++) {
      LbAlgorithm algorithm = algorithms[i % algorithms.length];
      List<EndpointSpec> eps =
          i % 3 == 2
              ? List.of() // the registered endpoints, swapped separately
              : POOL.subList(i % 2, POOL.size() - (i % 3)); // overlapping subsets
      ServicePolicy p =
          ServicePolicy.builder("orders")
              .endpoints(eps)
              .timeout(i % 2 == 0 ? Duration.ZERO : Duration.ofSeconds(5))
              .loadBalancer(
                  LoadBalancerPolicy.builder()
                      .algorithm(algorithm)
                      .hashHeader(algorithm == LbAlgorithm.RING_HASH ? "x-user" : null)
                      .build())
              .retry(
                  RetryPolicy.builder()
                      .maxAttempts(2 + i % 3)
                      .retryOn("connect-failure", "reset", "503", "UNAVAILABLE")
                      .backoff(BackoffPolicy.of(Duration.ofNanos(1), Duration.ofNanos(1)))
                      .budget(RetryBudgetPolicy.of(i % 2 == 0 ? 0.2 : 1.0, 100))
                      .build())
              .circuitBreaker(
                  CircuitBreakerPolicy.builder()
                      .failureRateThreshold(i % 4 == 3 ? 0 : 50)
                      .window(i % 2 == 0 ? 20 : 40)
                      .minimumCalls(10)
                      .openDuration(Duration.ofMillis(5))
                      .halfOpenCalls(2)
                      .maxConcurrentRequests(i % 2 == 0 ? 0 : 6)
                      .build())
              .outlierDetection(
                  OutlierDetectionPolicy.builder()
                      .consecutiveFailures(3)
                      .baseEjectionTime(Duration.ofMillis(2))
                      .maxEjectionTime(Duration.ofMillis(10))
                      .build())
              .build();
      out.add(MeshPolicy.builder().version("v" + i).service(p).build());
    }
    return out;
  }

  @Test
  void eightThreadsPickAndRecordWhileThePolicySwapsEveryMillisecond() throws Exception {
    Mesh mesh = Mesh.builder().build(); // real ticker and randomness
    List<MeshPolicy> policies = policies();
    mesh.updateEndpoints("orders", POOL.subList(2, 5));
    mesh.update(policies.get(0));
    ServiceHandle orders = mesh.service("orders");

    Set<Endpoint> seen = ConcurrentHashMap.newKeySet();
    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean swapping = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch ready = new CountDownLatch(WORKERS + 1);
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(WORKERS + 1);

    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      long seed = w;
      threads.add(
          new Thread(
              () -> {
                try {
                  ready.countDown();
                  go.await();
                  int n = work(orders, new SplittableRandom(seed), swapping, seen);
                  calls.addAndGet(n);
                } catch (Throwable t) {
                  errors.add(t);
                } finally {
                  done.countDown();
                }
              },
              "worker-" + w));
    }
    threads.add(
        new Thread(
            () -> {
              try {
                ready.countDown();
                go.await();
                for (int s = 1; s <= SWAPS; s++) {
                  mesh.update(policies.get(s % policies.size()));
                  if (s % 7 == 0) {
                    mesh.updateEndpoints("orders", POOL.subList(s % 3, 3 + s % 3));
                  }
                  LockSupport.parkNanos(1_000_000); // paces the swaps; waits for nothing
                }
              } catch (Throwable t) {
                errors.add(t);
              } finally {
                swapping.set(false);
                done.countDown();
              }
            },
            "swapper"));
    threads.forEach(Thread::start);
    ready.await();
    go.countDown();
    assertThat(done.await(2, TimeUnit.MINUTES)).as("all threads finished").isTrue();

    assertThat(errors).isEmpty();
    assertThat(calls.get()).isGreaterThanOrEqualTo(WORKERS * MIN_CALLS_PER_WORKER);
    assertThat(seen).hasSizeGreaterThanOrEqualTo(POOL.size());
    assertThat(seen).allSatisfy(e -> assertThat(e.inFlight()).as(e.address()).isZero());
    assertThat(orders.stats().inFlight()).isZero();
    assertThat(orders.stats().requests()).isPositive();
  }

  /** One worker: calls until the swaps are over (and at least the minimum), each fully finished. */
  private static int work(
      ServiceHandle orders, SplittableRandom random, AtomicBoolean swapping, Set<Endpoint> seen) {
    MeshCall call = orders.newCall(); // one per thread, reused
    TestRequest[] requests = {
      TestRequest.get("/orders"),
      TestRequest.post("/orders"),
      TestRequest.post("/shop.Orders/Get").asIdempotent(),
      TestRequest.get("/orders").header("x-user", "u1"),
      TestRequest.get("/orders").header("x-user", "u2"),
    };
    int i = 0;
    while (i < MAX_CALLS_PER_WORKER && (i < MIN_CALLS_PER_WORKER || swapping.get())) {
      i++;
      if (!call.start(requests[random.nextInt(requests.length)], TestRequest.READER)) {
        continue; // rejected (concurrency limit): nothing to finish, but finish is harmless
      }
      try {
        attempts(call, random, seen);
      } finally {
        call.finish();
      }
    }
    return i;
  }

  private static void attempts(MeshCall call, SplittableRandom random, Set<Endpoint> seen) {
    while (true) {
      int a = call.startAttempt();
      if (a < 0) {
        return;
      }
      seen.add(call.endpoint(a));
      call.attemptTimeoutNanos(a);
      int roll = random.nextInt(100);
      if (roll < 3 && call.attemptCount() < 3) {
        int hedge = call.startAttempt(); // a second attempt in flight, then one of them answers
        if (hedge >= 0) {
          seen.add(call.endpoint(hedge));
          call.onResponse(hedge, 200);
        }
        return; // the first is abandoned by finish()
      }
      if (roll < 6) {
        return; // abandoned: finish() must release it
      }
      if (roll < 8) {
        call.commit();
      }
      RetryDecision d;
      if (roll < 60) {
        d = call.onResponse(a, 200);
      } else if (roll < 72) {
        d = call.onResponse(a, 503);
      } else if (roll < 80) {
        d = call.onFailure(a, Outcome.CONNECT_FAILURE);
      } else if (roll < 86) {
        d = call.onFailure(a, Outcome.RESET);
      } else if (roll < 90) {
        d = call.onFailure(a, Outcome.CANCELLED);
      } else if (roll < 96) {
        d = call.onGrpcStatus(a, 14);
      } else {
        d = call.onGrpcStatus(a, 3);
      }
      if (!d.isRetry()) {
        return;
      }
    }
  }
}
