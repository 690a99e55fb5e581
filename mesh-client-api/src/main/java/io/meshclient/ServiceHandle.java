package io.meshclient;

import io.meshclient.internal.engine.CallState;
import io.meshclient.internal.engine.CompiledService;
import io.meshclient.internal.engine.ServiceRuntime;
import io.meshclient.policy.ServicePolicy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What an adapter holds for one logical service: looked up once when a client is built, never per
 * request. Stays valid across policy updates (it always sees the newest snapshot).
 */
public final class ServiceHandle {

  private static final System.Logger LOG = System.getLogger(ServiceHandle.class.getName());

  private final ServiceRuntime runtime;
  private final List<Consumer<List<Endpoint>>> endpointListeners = new CopyOnWriteArrayList<>();

  ServiceHandle(ServiceRuntime runtime) {
    this.runtime = runtime;
  }

  /** The logical service name. */
  public String name() {
    return runtime.name();
  }

  /** A new call. Calls are reusable: {@link MeshCall#start} resets one after {@link MeshCall#finish}. */
  public MeshCall newCall() {
    return new CallState(runtime);
  }

  /** Whether the mesh has a policy or registered endpoints for this service now. */
  public boolean isKnown() {
    return runtime.compiled() != null;
  }

  /** The policy in force, or null when the service is unknown. */
  public @Nullable ServicePolicy policy() {
    CompiledService c = runtime.compiled();
    return c == null ? null : c.policy;
  }

  /** The endpoints of the policy in force (empty when unknown), with their live state. */
  public List<Endpoint> endpoints() {
    CompiledService c = runtime.compiled();
    return c == null ? List.of() : List.of(c.endpoints());
  }

  /**
   * Calls {@code listener} with the endpoint list now and after every update that changes this
   * service (on the updating thread). Used by adapters that keep connections per endpoint.
   *
   * @return closing it removes the listener
   */
  public AutoCloseable onEndpointsChanged(Consumer<List<Endpoint>> listener) {
    endpointListeners.add(listener);
    listener.accept(endpoints());
    return () -> endpointListeners.remove(listener);
  }

  void fireEndpointsChanged() {
    List<Endpoint> now = endpoints();
    for (Consumer<List<Endpoint>> l : endpointListeners) {
      try {
        l.accept(now);
      } catch (RuntimeException e) {
        // one faulty listener must not keep the others (or the update) from completing
        LOG.log(System.Logger.Level.WARNING, "endpoint listener of " + name() + " threw", e);
      }
    }
  }

  /** Counters for metrics and status. */
  public Stats stats() {
    return new Stats(
        runtime.requests(),
        runtime.retries(),
        runtime.retriesDenied(),
        runtime.rejections(),
        runtime.ejections(),
        runtime.inFlightRequests(),
        runtime.retriesInBudgetWindow());
  }

  /**
   * Cumulative counters of a service since the mesh started.
   *
   * @param requests calls started
   * @param retries retries granted
   * @param retriesDenied retries wanted but refused by the budget or the deadline
   * @param rejections calls or attempts refused before sending
   * @param ejections outlier ejections
   * @param inFlight calls in flight (counted only when a concurrency limit is set)
   * @param retriesInBudgetWindow retries granted in the budget's current window
   */
  public record Stats(
      long requests,
      long retries,
      long retriesDenied,
      long rejections,
      long ejections,
      int inFlight,
      long retriesInBudgetWindow) {}
}
