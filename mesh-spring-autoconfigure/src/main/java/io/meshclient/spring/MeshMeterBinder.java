package io.meshclient.spring;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.MeshListener;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.WorkloadIdentity;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>With a {@code MeshCredentials} bean (tag {@code spiffe_id}, this application's identity):
 * {@code meshclient.identity.expiry}, seconds until the certificate in use expires (negative once
 * it has; NaN before the first); with workload identity enabled also {@code
 * meshclient.identity.renewals} and {@code meshclient.identity.renewal.failures} (counters).
 */
public class MeshMeterBinder implements MeterBinder, MeshListener, SmartInitializingSingleton {

  private final ObjectProvider<Mesh> mesh;
  private final @Nullable ObjectProvider<MeshCredentials> credentials;
  private final @Nullable ObjectProvider<MeshIdentityStatus> identityStatus;
  private final Clock clock;
  private final AtomicBoolean identityBound = new AtomicBoolean();
  private final Set<String> bound = ConcurrentHashMap.newKeySet();
  private final AtomicLong applied = new AtomicLong();
  private volatile @Nullable MeterRegistry registry;
  // The Mesh bean is looked up only once every singleton exists: the first policy is applied
  // while the Mesh bean itself is being created.
  private volatile boolean ready;

  public MeshMeterBinder(ObjectProvider<Mesh> mesh) {
    this(mesh, null, null, Clock.systemUTC());
  }

  /**
   * @param credentials the certificate whose expiry to show (null: none)
   * @param identityStatus the renewer's counts (null: none)
   * @param clock measures the time until expiry
   */
  public MeshMeterBinder(
      ObjectProvider<Mesh> mesh,
      @Nullable ObjectProvider<MeshCredentials> credentials,
      @Nullable ObjectProvider<MeshIdentityStatus> identityStatus,
      Clock clock) {
    this.mesh = mesh;
    this.credentials = credentials;
    this.identityStatus = identityStatus;
    this.clock = clock;
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
    if (r != null && ready) {
      bindIdentity(r);
    }
  }

  /** Once: the SPIFFE ID does not change while the application runs (the renewer keeps it). */
  private void bindIdentity(MeterRegistry r) {
    MeshCredentials c = credentials == null ? null : credentials.getIfAvailable();
    if (c == null || !identityBound.compareAndSet(false, true)) {
      return;
    }
    WorkloadIdentity current = c.identity();
    Tags tags = Tags.of("spiffe_id", current == null ? "none" : current.id().toString());
    Gauge.builder("meshclient.identity.expiry", c, this::secondsUntilExpiry)
        .description("Seconds until the workload certificate in use expires (negative: expired)")
        .baseUnit("seconds")
        .tags(tags)
        .register(r);
    MeshIdentityStatus status = identityStatus == null ? null : identityStatus.getIfAvailable();
    if (status != null) {
      FunctionCounter.builder("meshclient.identity.renewals", status, MeshIdentityStatus::renewals)
          .description("Workload certificates renewed")
          .tags(tags)
          .register(r);
      FunctionCounter.builder(
              "meshclient.identity.renewal.failures", status, MeshIdentityStatus::failures)
          .description("Failed attempts to obtain or renew the workload certificate")
          .tags(tags)
          .register(r);
    }
  }

  private double secondsUntilExpiry(MeshCredentials c) {
    WorkloadIdentity id = c.identity();
    return id == null ? Double.NaN : (id.notAfterMillis() - clock.millis()) / 1000.0;
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
