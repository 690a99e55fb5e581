package io.meshclient.internal.engine;

import io.meshclient.Endpoint;
import io.meshclient.MeshListener;
import io.meshclient.RandomSource;
import io.meshclient.Ticker;
import io.meshclient.internal.policy.HostAndPort;
import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Everything about one service that outlives a policy update: endpoint state by address, the retry
 * budget, the concurrency counter, the health epoch and the counters for metrics. Compiles each new
 * policy against that state, so a push never resets load or health knowledge.
 */
public final class ServiceRuntime {

  private final String name;
  final Ticker ticker;
  final RandomSource random;
  private final String localZone;
  final MeshListener listener;

  private final Map<String, EndpointState> states = new ConcurrentHashMap<>();
  private final AtomicLong healthEpoch = new AtomicLong();
  final PaddedCounter concurrency = new PaddedCounter();
  private volatile RetryBudget budget;
  private final ServiceTable table;
  final int slot;

  final LongAdder requests = new LongAdder();
  final LongAdder retries = new LongAdder();
  final LongAdder retriesDenied = new LongAdder();
  final LongAdder rejections = new LongAdder();
  final LongAdder ejections = new LongAdder();

  public ServiceRuntime(
      ServiceTable table,
      String name,
      Ticker ticker,
      RandomSource random,
      String localZone,
      MeshListener listener) {
    this.table = table;
    this.slot = table.allocateSlot();
    this.name = name;
    this.ticker = ticker;
    this.random = random;
    this.localZone = localZone;
    this.listener = listener;
    this.budget = new RetryBudget(io.meshclient.policy.RetryBudgetPolicy.DEFAULT);
  }

  public String name() {
    return name;
  }

  String localZone() {
    return localZone;
  }

  long healthEpoch() {
    return healthEpoch.get();
  }

  void healthChanged() {
    healthEpoch.incrementAndGet();
  }

  RetryBudget budget() {
    return budget;
  }

  /** The snapshot in force, or null when the service has neither policy nor endpoints. */
  public @Nullable CompiledService compiled() {
    return table.get(slot);
  }

  /**
   * Compiles {@code policy} with these endpoints, reusing the state of every address that stays.
   * Does not publish: the mesh publishes all services of an update together.
   */
  public CompiledService compile(ServicePolicy policy, List<EndpointSpec> endpointSpecs) {
    Map<String, EndpointState> next = new LinkedHashMap<>();
    for (EndpointSpec spec : endpointSpecs) {
      HostAndPort hp = HostAndPort.parse(spec.address());
      if (hp == null) {
        throw new IllegalArgumentException(
            name + ": endpoint address is not host:port, got '" + spec.address() + "'");
      }
      if (spec.weight() < 1 || spec.weight() > 10_000) {
        // registered endpoints bypass policy validation; a bad weight would fail every pick
        throw new IllegalArgumentException(
            name
                + ": endpoint "
                + hp
                + " has weight "
                + spec.weight()
                + " (expected: a weight in [1, 10000])");
      }
      String key = hp.toString();
      if (next.containsKey(key)) {
        continue; // a registry may report an instance twice; the first wins
      }
      EndpointState state = states.get(key);
      if (state == null) {
        state = new EndpointState(name, hp, spec);
      }
      next.put(key, state);
    }
    OutlierDetectionPolicy outlier = policy.outlierDetection();
    for (EndpointState state : next.values()) {
      EndpointSpec spec = specFor(endpointSpecs, state);
      state.configure(spec, policy.circuitBreaker(), outlier);
    }
    EndpointState[] all = next.values().toArray(new EndpointState[0]);

    List<Route> routes = policy.routes();
    if (routes.isEmpty()) {
      routes = List.of(new Route("default", RouteMatch.ANY, List.of(Destination.all()), false));
    }
    CompiledRoute[] compiledRoutes = new CompiledRoute[routes.size()];
    for (int r = 0; r < routes.size(); r++) {
      Route route = routes.get(r);
      DestinationPool[] pools = new DestinationPool[route.to().size()];
      for (int d = 0; d < pools.length; d++) {
        pools[d] =
            new DestinationPool(
                this,
                select(all, route.to().get(d).subset()),
                policy.loadBalancer(),
                outlier.panicThresholdPercent());
      }
      String routeName = route.name() != null ? route.name() : "routes[" + r + "]";
      compiledRoutes[r] = new CompiledRoute(routeName, route, pools);
    }
    RetryBudget current = budget;
    if (!current.sameConfig(policy.retry().budget())) {
      budget = new RetryBudget(policy.retry().budget());
    }
    CompiledService service = new CompiledService(policy, this, all, compiledRoutes);
    // Forget endpoints that left; in-flight calls still hold their state objects.
    states.keySet().retainAll(next.keySet());
    states.putAll(next);
    healthChanged();
    return service;
  }

  private static EndpointSpec specFor(List<EndpointSpec> specs, EndpointState state) {
    for (EndpointSpec s : specs) {
      HostAndPort hp = HostAndPort.parse(s.address());
      if (hp != null && hp.toString().equals(state.address)) {
        return s;
      }
    }
    throw new IllegalStateException("no spec for " + state.address);
  }

  private static EndpointState[] select(EndpointState[] all, Map<String, String> subset) {
    if (subset.isEmpty()) {
      return all;
    }
    List<EndpointState> out = new ArrayList<>();
    for (EndpointState e : all) {
      if (e.labels().entrySet().containsAll(subset.entrySet())) {
        out.add(e);
      }
    }
    return out.toArray(new EndpointState[0]);
  }

  /**
   * Counts a failure against outlier detection and ejects the endpoint if it reached the
   * threshold and the service may lose another endpoint (at most maxEjectionPercent, at least one).
   */
  void onEndpointFailure(CompiledService service, EndpointState e, long nowNanos) {
    if (!e.onFailure() || e.isEjected(nowNanos)) {
      return;
    }
    OutlierDetectionPolicy od = service.policy.outlierDetection();
    if (od.maxEjectionPercent() == 0) {
      return;
    }
    synchronized (this) { // rare path: keep the ejected count exact
      if (e.isEjected(nowNanos)) {
        return;
      }
      int ejected = 0;
      for (EndpointState other : service.endpoints) {
        if (other.isEjected(nowNanos)) {
          ejected++;
        }
      }
      int allowed = Math.max(1, service.endpoints.length * od.maxEjectionPercent() / 100);
      if (ejected >= allowed) {
        return;
      }
      long duration = e.eject(nowNanos);
      ejections.increment();
      healthChanged();
      listener.onEjected(name, e, duration);
    }
  }

  void onBreakerTransition(EndpointState e, int transition) {
    if (transition == Breaker.NO_CHANGE) {
      return;
    }
    healthChanged();
    listener.onBreakerStateChange(name, e, transitionState(transition));
  }

  private static Endpoint.BreakerState transitionState(int transition) {
    return switch (transition) {
      case Breaker.OPENED -> Endpoint.BreakerState.OPEN;
      case Breaker.HALF_OPENED -> Endpoint.BreakerState.HALF_OPEN;
      default -> Endpoint.BreakerState.CLOSED;
    };
  }

  // ---- counters for metrics and status ----

  public long requests() {
    return requests.sum();
  }

  public long retries() {
    return retries.sum();
  }

  public long retriesDenied() {
    return retriesDenied.sum();
  }

  public long rejections() {
    return rejections.sum();
  }

  public long ejections() {
    return ejections.sum();
  }

  public int inFlightRequests() {
    return concurrency.get();
  }

  public long retriesInBudgetWindow() {
    return budget.retriesInWindow(ticker.read());
  }
}
