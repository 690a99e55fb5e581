package io.meshclient.spring;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.MeshListener;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.MeshPolicy;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * The mesh's counters in the application's Micrometer registry, for applications that measure
 * with Micrometer rather than OpenTelemetry. Per service (tag {@code service}): {@code
 * meshclient.requests}, {@code meshclient.retries}, {@code meshclient.retries.denied}, {@code
 * meshclient.rejections}, {@code meshclient.ejections} (counters) and {@code meshclient.in_flight},
 * {@code meshclient.endpoints} (tag {@code state}: available, ejected, breaker_open) gauges; and
 * {@code meshclient.policy.applied} counting policy updates. Meters read the engine's own counters
 * when scraped: nothing is added to the request path.
 */
public class MeshMeterBinder implements MeterBinder, MeshListener, SmartInitializingSingleton {

  private final ObjectProvider<Mesh> mesh;
  private final Set<String> bound = ConcurrentHashMap.newKeySet();
  private final AtomicLong applied = new AtomicLong();
  private volatile @Nullable MeterRegistry registry;
  // The Mesh bean is looked up only once every singleton exists: the first policy is applied
  // while the Mesh bean itself is being created.
  private volatile boolean ready;

  public MeshMeterBinder(ObjectProvider<Mesh> mesh) {
    this.mesh = mesh;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    FunctionCounter.builder("meshclient.policy.applied", applied, AtomicLong::get)
        .description("Policy updates applied")
        .register(registry);
    bindKnownServices();
  }

  @Override
  public void afterSingletonsInstantiated() {
    ready = true;
    bindKnownServices();
  }

  private void bindKnownServices() {
    MeterRegistry r = registry;
    Mesh m = ready ? mesh.getIfAvailable() : null;
    if (r != null && m != null) {
      m.services().forEach(s -> bind(r, m, s));
    }
  }

  /** Services that arrive with a later policy get their meters then. */
  @Override
  public void onPolicyApplied(MeshPolicy policy) {
    applied.incrementAndGet();
    MeterRegistry r = registry;
    Mesh m = ready ? mesh.getIfAvailable() : null;
    if (r != null && m != null) {
      policy.services().keySet().forEach(s -> bind(r, m, s));
    }
  }

  private void bind(MeterRegistry r, Mesh m, String service) {
    if (!bound.add(service)) {
      return;
    }
    ServiceHandle h = m.service(service);
    Tags tags = Tags.of("service", service);
    counter(r, "meshclient.requests", "Calls started", h, tags, s -> s.stats().requests());
    counter(r, "meshclient.retries", "Retries granted", h, tags, s -> s.stats().retries());
    counter(r, "meshclient.retries.denied", "Retries refused by the budget or the deadline", h, tags,
        s -> s.stats().retriesDenied());
    counter(r, "meshclient.rejections", "Calls or attempts refused before sending", h, tags,
        s -> s.stats().rejections());
    counter(r, "meshclient.ejections", "Outlier ejections", h, tags, s -> s.stats().ejections());
    Gauge.builder("meshclient.in_flight", h, s -> s.stats().inFlight())
        .description("Calls in flight (counted when a concurrency limit is set)")
        .tags(tags)
        .register(r);
    for (String state : new String[] {"available", "ejected", "breaker_open"}) {
      Gauge.builder("meshclient.endpoints", h, s -> endpoints(m, s, state))
          .description("Endpoints of the service by state")
          .tags(tags.and("state", state))
          .register(r);
    }
  }

  private static void counter(
      MeterRegistry r,
      String name,
      String description,
      ServiceHandle h,
      Tags tags,
      ToDoubleFunction<ServiceHandle> value) {
    FunctionCounter.builder(name, h, value).description(description).tags(tags).register(r);
  }

  private static double endpoints(Mesh m, ServiceHandle h, String state) {
    long now = m.ticker().read();
    int n = 0;
    for (Endpoint e : h.endpoints()) {
      boolean ejected = e.isEjected(now);
      boolean open = e.breakerState() == Endpoint.BreakerState.OPEN;
      boolean match =
          switch (state) {
            case "ejected" -> ejected;
            case "breaker_open" -> open;
            default -> !ejected && !open;
          };
      if (match) {
        n++;
      }
    }
    return n;
  }
}
