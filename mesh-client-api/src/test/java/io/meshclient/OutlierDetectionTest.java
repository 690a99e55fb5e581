package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.testing.FakeTicker;
import io.meshclient.testing.TestRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Outlier ejection on a fake ticker: consecutive failures, ejection time growing per repeat and
 * capped, the maxEjectionPercent limit, and panic mode.
 */
class OutlierDetectionTest {

  private static final Duration BASE = Duration.ofSeconds(10);
  private static final Duration MAX = Duration.ofSeconds(25);

  private final FakeTicker ticker = new FakeTicker();
  private final List<Long> ejectionNanos = new ArrayList<>();
  private final Mesh mesh =
      Mesh.builder()
          .ticker(ticker)
          .random(RandomSource.seeded(3))
          .listener(
              new MeshListener() {
                @Override
                public void onEjected(String service, Endpoint endpoint, long nanos) {
                  ejectionNanos.add(nanos);
                }
              })
          .build();
  private ServiceHandle orders;

  private List<Endpoint> start(int maxEjectionPercent, int panicThresholdPercent) {
    mesh.update(
        MeshPolicy.builder()
            .version("v1")
            .service(
                ServicePolicy.builder("orders")
                    .endpoint(EndpointSpec.of("10.0.0.1:80"))
                    .endpoint(EndpointSpec.of("10.0.0.2:80"))
                    .endpoint(EndpointSpec.of("10.0.0.3:80"))
                    .endpoint(EndpointSpec.of("10.0.0.4:80"))
                    .retry(RetryPolicy.NONE)
                    // breaker off: only outlier detection decides here
                    .circuitBreaker(CircuitBreakerPolicy.builder().failureRateThreshold(0).build())
                    .outlierDetection(
                        OutlierDetectionPolicy.builder()
                            .consecutiveFailures(3)
                            .baseEjectionTime(BASE)
                            .maxEjectionTime(MAX)
                            .maxEjectionPercent(maxEjectionPercent)
                            .panicThresholdPercent(panicThresholdPercent)
                            .build())
                    .build())
            .build());
    orders = mesh.service("orders");
    return orders.endpoints();
  }

  /** Calls until {@code target} is picked and answers it {@code status}; others get 200. */
  private void answer(Endpoint target, int status) {
    for (int i = 0; i < 100; i++) {
      MeshCall call = orders.newCall();
      assertThat(call.start(TestRequest.get("/"), TestRequest.READER)).isTrue();
      int a = call.startAttempt();
      boolean hit = call.endpoint(a) == target;
      call.onResponse(a, hit ? status : 200);
      call.finish();
      if (hit) {
        return;
      }
    }
    throw new AssertionError(target + " was not picked in 100 calls");
  }

  private void eject(Endpoint target) {
    for (int i = 0; i < 3; i++) {
      answer(target, 503);
    }
  }

  /** The endpoints picked by {@code calls} successful calls. */
  private Set<Endpoint> picked(int calls) {
    Set<Endpoint> out = new HashSet<>();
    for (int i = 0; i < calls; i++) {
      MeshCall call = orders.newCall();
      call.start(TestRequest.get("/"), TestRequest.READER);
      int a = call.startAttempt();
      out.add(call.endpoint(a));
      call.onResponse(a, 200);
      call.finish();
    }
    return out;
  }

  private long now() {
    return ticker.read();
  }

  @Test
  void ejectsAfterConsecutiveFailuresOnly() {
    Endpoint e = start(50, 0).get(0);
    answer(e, 503);
    answer(e, 503);
    answer(e, 200); // resets the run
    answer(e, 503);
    answer(e, 503);
    assertThat(e.isEjected(now())).isFalse();
    answer(e, 503);
    assertThat(e.isEjected(now())).isTrue();
    assertThat(e.ejectionCount()).isEqualTo(1);
    assertThat(ejectionNanos).containsExactly(BASE.toNanos());
    assertThat(orders.stats().ejections()).isEqualTo(1);
  }

  @Test
  void anEjectedEndpointGetsNoTrafficUntilItsEjectionEnds() {
    Endpoint e = start(50, 0).get(0);
    eject(e);
    long ejectedAt = now();
    assertThat(picked(40)).hasSize(3).doesNotContain(e);
    ticker.advanceNanos(ejectedAt + BASE.toNanos() - 1 - now());
    assertThat(e.isEjected(now())).isTrue();
    assertThat(picked(8)).doesNotContain(e);
    ticker.advanceNanos(1);
    assertThat(e.isEjected(now())).isFalse();
    assertThat(picked(8)).contains(e);
  }

  @Test
  void ejectionTimeGrowsWithEachRepeatUpToTheMaximum() {
    Endpoint e = start(50, 0).get(0);
    long[] expected = {10, 20, 25, 25};
    for (long seconds : expected) {
      eject(e);
      long until = now() + Duration.ofSeconds(seconds).toNanos();
      assertThat(e.isEjected(until - 1)).as("ejected %ds", seconds).isTrue();
      assertThat(e.isEjected(until)).isFalse();
      ticker.advanceNanos(until - now());
    }
    assertThat(ejectionNanos)
        .containsExactly(BASE.toNanos(), 2 * BASE.toNanos(), MAX.toNanos(), MAX.toNanos());
    assertThat(e.ejectionCount()).isEqualTo(4);
  }

  @Test
  void theMultiplierStartsOverAfterALongHealthyPeriod() {
    Endpoint e = start(50, 0).get(0);
    eject(e);
    ticker.advance(BASE);
    eject(e); // second in a row: 20 s
    ticker.advance(Duration.ofSeconds(20)).advance(MAX).advanceNanos(1); // healthy for > max
    eject(e);
    assertThat(ejectionNanos).containsExactly(BASE.toNanos(), 2 * BASE.toNanos(), BASE.toNanos());
  }

  @Test
  void neverEjectsMoreThanMaxEjectionPercent() {
    List<Endpoint> eps = start(50, 0);
    eject(eps.get(0));
    eject(eps.get(1));
    eject(eps.get(2)); // would be the third of four: over 50%
    assertThat(eps).filteredOn(e -> e.isEjected(now())).containsExactly(eps.get(0), eps.get(1));
    assertThat(eps.get(2).ejectionCount()).isZero();
    // once an ejection ends, the next failure of the third ejects it
    ticker.advance(BASE);
    answer(eps.get(2), 503);
    assertThat(eps.get(2).isEjected(now())).isTrue();
  }

  @Test
  void maxEjectionPercentZeroNeverEjects() {
    List<Endpoint> eps = start(0, 0);
    for (int i = 0; i < 10; i++) {
      answer(eps.get(0), 503);
    }
    assertThat(eps.get(0).isEjected(now())).isFalse();
  }

  @Test
  void atLeastOneEndpointMayBeEjectedEvenWhenThePercentRoundsToZero() {
    List<Endpoint> eps = start(10, 0); // 10% of 4 rounds to 0
    eject(eps.get(0));
    assertThat(eps.get(0).isEjected(now())).isTrue();
    eject(eps.get(1));
    assertThat(eps.get(1).isEjected(now())).isFalse();
  }

  @Test
  void panicModeIgnoresEjectionsWhenTooFewEndpointsRemain() {
    List<Endpoint> eps = start(50, 75); // panic below 3 of 4 available
    eject(eps.get(0));
    assertThat(picked(40)).as("3 of 4 available: no panic").hasSize(3).doesNotContain(eps.get(0));
    eject(eps.get(1));
    assertThat(eps.get(1).isEjected(now())).isTrue();
    assertThat(picked(40)).as("2 of 4 available: panic, spread over all").hasSize(4);
    ticker.advance(BASE);
    assertThat(picked(40)).hasSize(4);
  }

  @Test
  void withoutPanicTheEjectedStayOut() {
    List<Endpoint> eps = start(50, 50); // 2 of 4 available is not below 50%
    eject(eps.get(0));
    eject(eps.get(1));
    assertThat(picked(40)).containsExactlyInAnyOrder(eps.get(2), eps.get(3));
  }
}
