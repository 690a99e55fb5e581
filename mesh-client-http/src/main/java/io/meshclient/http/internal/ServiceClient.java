package io.meshclient.http.internal;

import io.meshclient.Endpoint;
import io.meshclient.MeshCall;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.TlsMode;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import okhttp3.Dns;
import org.jspecify.annotations.Nullable;

/**
 * One logical service as one client sees it: the engine's handle, a reusable {@link MeshCall} per
 * thread, and the {@link EndpointRoute}s of each endpoint (one per transport), cached by endpoint
 * identity (the engine keeps one {@link Endpoint} object per address across updates).
 */
final class ServiceClient {

  final ServiceHandle handle;
  private final HttpTelemetry telemetry;
  private final ConcurrentHashMap<Endpoint, AtomicReferenceArray<EndpointRoute>> routes =
      new ConcurrentHashMap<>();
  private final ThreadLocal<CallSlot> calls;

  ServiceClient(ServiceHandle handle, HttpTelemetry telemetry, @Nullable MeshTls tls) {
    this.handle = handle;
    this.telemetry = telemetry;
    if (tls != null) {
      tls.service(handle); // registered before any mTLS route exists: its sockets look it up
    }
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

  /** The route of {@code endpoint} over {@code transport}; its first use creates it (rare). */
  EndpointRoute route(Endpoint endpoint, TlsMode transport, Dns clientDns) {
    AtomicReferenceArray<EndpointRoute> r = routes.get(endpoint); // identity hash: Endpoint keeps Object's
    EndpointRoute route = r == null ? null : r.get(transport.ordinal());
    return route != null ? route : newRoute(endpoint, transport, clientDns);
  }

  private EndpointRoute newRoute(Endpoint endpoint, TlsMode transport, Dns clientDns) {
    AtomicReferenceArray<EndpointRoute> r = routes.get(endpoint);
    if (r == null) {
      // A new endpoint object appeared: forget routes (and so pooled connections) of endpoints
      // that have left the service since, so a churning registry does not grow this map.
      Set<Endpoint> live = Collections.newSetFromMap(new IdentityHashMap<>());
      live.addAll(handle.endpoints());
      routes.keySet().removeIf(e -> !live.contains(e));
      r = routes.computeIfAbsent(endpoint, e -> new AtomicReferenceArray<>(TlsMode.values().length));
    }
    EndpointRoute fresh = new EndpointRoute(endpoint, transport, clientDns, telemetry);
    // One route per transport: a racing thread's route wins, so they share one pool entry.
    return r.compareAndSet(transport.ordinal(), null, fresh) ? fresh : r.get(transport.ordinal());
  }

  private static final class CallSlot {
    final MeshCall call;
    boolean busy;

    CallSlot(MeshCall call) {
      this.call = call;
    }
  }
}
