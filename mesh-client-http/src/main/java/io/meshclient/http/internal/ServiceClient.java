package io.meshclient.http.internal;

import io.meshclient.Endpoint;
import io.meshclient.MeshCall;
import io.meshclient.ServiceHandle;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Dns;

/**
 * One logical service as one client sees it: the engine's handle, a reusable {@link MeshCall} per
 * thread, and the {@link EndpointRoute} of each endpoint, cached by endpoint identity (the engine
 * keeps one {@link Endpoint} object per address across updates).
 */
final class ServiceClient {

  final ServiceHandle handle;
  private final HttpTelemetry telemetry;
  private final ConcurrentHashMap<Endpoint, EndpointRoute> routes = new ConcurrentHashMap<>();
  private final ThreadLocal<CallSlot> calls;

  ServiceClient(ServiceHandle handle, HttpTelemetry telemetry) {
    this.handle = handle;
    this.telemetry = telemetry;
    this.calls = ThreadLocal.withInitial(() -> new CallSlot(handle.newCall()));
  }

  /**
   * This thread's call when free, else a new one. A call is driven by one thread from start to
   * finish (OkHttp runs the whole chain of an asynchronous call on one dispatcher thread); a
   * nested call to the same service on the same thread (from an authenticator, say) gets its own.
   */
  MeshCall acquire() {
    CallSlot slot = calls.get();
    if (slot.busy) {
      return handle.newCall();
    }
    slot.busy = true;
    return slot.call;
  }

  void release(MeshCall call) {
    CallSlot slot = calls.get();
    if (slot.call == call) {
      slot.busy = false;
    }
  }

  /** The route of {@code endpoint}; the endpoint's first use creates it (rare). */
  EndpointRoute route(Endpoint endpoint, Dns clientDns) {
    EndpointRoute r = routes.get(endpoint); // identity hash: Endpoint keeps Object's
    return r != null ? r : newRoute(endpoint, clientDns);
  }

  private EndpointRoute newRoute(Endpoint endpoint, Dns clientDns) {
    // A new endpoint object appeared: forget routes (and so pooled connections) of endpoints
    // that have left the service since, so a churning registry does not grow this map.
    Set<Endpoint> live = Collections.newSetFromMap(new IdentityHashMap<>());
    live.addAll(handle.endpoints());
    routes.keySet().removeIf(e -> !live.contains(e));
    return routes.computeIfAbsent(endpoint, e -> new EndpointRoute(e, clientDns, telemetry));
  }

  private static final class CallSlot {
    final MeshCall call;
    boolean busy;

    CallSlot(MeshCall call) {
      this.call = call;
    }
  }
}
