package io.meshclient.server.registry;

import io.meshclient.config.v1.Endpoint;
import io.meshclient.config.v1.RegisteredEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The live instances of each service. An instance registers over its config stream; the stream is
 * the lease: when it ends, the instance stays listed for a grace period (so a quick reconnect, a
 * server restart or a network blip does not shake every client's endpoint list) and is then
 * removed. A registration from a newer stream of the same node replaces the older one and cancels
 * its expiry.
 *
 * <p>Must be called from the server's control thread (one thread), where expiries also run;
 * {@code onChange} is called there with the service whose endpoints changed.
 */
public final class InstanceRegistry {

  private static final class Instance {
    final String nodeId;
    final String service;
    final Endpoint endpoint;
    final long session;
    @Nullable ScheduledFuture<?> expiry;
    @Nullable Instant expiresAt;

    Instance(String nodeId, String service, Endpoint endpoint, long session) {
      this.nodeId = nodeId;
      this.service = service;
      this.endpoint = endpoint;
      this.session = session;
    }
  }

  private final Duration grace;
  private final ScheduledExecutorService control;
  private final Clock clock;
  private final Consumer<String> onChange;
  private final Map<String, Instance> byNode = new HashMap<>();
  private volatile Map<String, List<Endpoint>> endpoints = Map.of();

  public InstanceRegistry(Duration grace, ScheduledExecutorService control, Clock clock, Consumer<String> onChange) {
    this.grace = Objects.requireNonNull(grace, "grace");
    this.control = control;
    this.clock = clock;
    this.onChange = onChange;
  }

  /** Registers (or re-registers) {@code nodeId} as an instance of {@code service}. */
  public void register(String nodeId, String service, Endpoint endpoint, long session) {
    Instance old = byNode.get(nodeId);
    if (old != null && old.expiry != null) {
      old.expiry.cancel(false);
    }
    byNode.put(nodeId, new Instance(nodeId, service, endpoint, session));
    boolean same = old != null && old.service.equals(service) && old.endpoint.equals(endpoint);
    if (!same) {
      rebuild();
      if (old != null && !old.service.equals(service)) {
        onChange.accept(old.service);
      }
      onChange.accept(service);
    }
  }

  /** The stream {@code session} of {@code nodeId} ended: the instance expires after the grace period. */
  public void release(String nodeId, long session) {
    Instance i = byNode.get(nodeId);
    if (i == null || i.session != session || i.expiry != null) {
      return;
    }
    i.expiresAt = clock.instant().plus(grace);
    i.expiry = control.schedule(() -> expire(i), grace.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void expire(Instance i) {
    if (byNode.get(i.nodeId) != i) {
      return;
    }
    byNode.remove(i.nodeId);
    rebuild();
    onChange.accept(i.service);
  }

  /** The endpoints of each service (live and in their grace period); safe from any thread. */
  public Map<String, List<Endpoint>> endpoints() {
    return endpoints;
  }

  private void rebuild() {
    Map<String, Map<String, Endpoint>> byService = new TreeMap<>();
    byNode.values().stream()
        .sorted(Comparator.comparing((Instance i) -> i.nodeId))
        .forEach(i -> byService.computeIfAbsent(i.service, k -> new LinkedHashMap<>())
            // Two nodes claiming one address (a restart under a new id): listed once.
            .put(i.endpoint.getAddress(), i.endpoint));
    Map<String, List<Endpoint>> out = new TreeMap<>();
    byService.forEach((s, m) -> out.put(s, List.copyOf(m.values())));
    endpoints = java.util.Collections.unmodifiableMap(out);
  }

  /** For the status page. */
  public List<RegisteredEndpoint> status() {
    List<RegisteredEndpoint> out = new ArrayList<>();
    for (Instance i : byNode.values()) {
      Instant at = i.expiresAt;
      out.add(RegisteredEndpoint.newBuilder()
          .setService(i.service)
          .setNodeId(i.nodeId)
          .setAddress(i.endpoint.getAddress())
          .setZone(i.endpoint.getZone())
          .setState(at == null ? "live" : "expiring at " + at)
          .build());
    }
    out.sort(Comparator.comparing(RegisteredEndpoint::getService).thenComparing(RegisteredEndpoint::getNodeId));
    return out;
  }
}
