package io.meshclient;

import io.meshclient.internal.engine.CompiledService;
import io.meshclient.internal.engine.ServiceRuntime;
import io.meshclient.internal.engine.ServiceTable;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The mesh runtime of one process: the policy in force, compiled for the request path, and the
 * state that must survive updates (breakers, in-flight counts, latency, ejections, budgets).
 *
 * <p>Updates ({@link #update}, {@link #updateEndpoints}) are applied one at a time; each compiles
 * every affected service and then publishes the new snapshots, so in-flight calls finish on the
 * snapshot they started with and new calls see the new one. A rejected update changes nothing.
 */
public final class Mesh {

  private static final System.Logger LOG = System.getLogger(Mesh.class.getName());

  private final Ticker ticker;
  private final RandomSource random;
  private final String localZone;
  private final MeshListener listener;

  private final ServiceTable table = new ServiceTable();
  private final Map<String, ServiceRuntime> runtimes = new ConcurrentHashMap<>();
  private final Map<String, ServiceHandle> handles = new ConcurrentHashMap<>();
  private final Map<String, List<EndpointSpec>> registered = new HashMap<>();
  private volatile MeshPolicy policy = MeshPolicy.EMPTY;

  private Mesh(Builder b) {
    this.ticker = b.ticker;
    this.random = b.random;
    this.localZone = b.localZone;
    this.listener = b.listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A mesh with system time and randomness, running {@code policy}. */
  public static Mesh create(MeshPolicy policy) {
    Mesh mesh = builder().build();
    mesh.update(policy);
    return mesh;
  }

  /** The policy in force. */
  public MeshPolicy policy() {
    return policy;
  }

  public Ticker ticker() {
    return ticker;
  }

  public String localZone() {
    return localZone;
  }

  /**
   * Applies a new policy: compiles every service, then publishes. Services absent from the new
   * policy keep running only if they have registered endpoints (with the default policy).
   *
   * @throws IllegalArgumentException if the policy cannot be compiled; the old one stays in force
   */
  public synchronized void update(MeshPolicy newPolicy) {
    Objects.requireNonNull(newPolicy, "policy");
    Set<String> names = new TreeSet<>(newPolicy.services().keySet());
    names.addAll(registered.keySet());
    names.addAll(runtimes.keySet());
    Map<ServiceRuntime, @Nullable CompiledService> compiled = new HashMap<>();
    for (String name : names) {
      compiled.put(runtime(name), compile(name, newPolicy));
    }
    table.publish(compiled); // one volatile write: every service switches at once
    this.policy = newPolicy;
    for (String name : names) {
      fireEndpointsChanged(name);
    }
    try {
      listener.onPolicyApplied(newPolicy);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "MeshListener.onPolicyApplied threw", e);
    }
  }

  private void fireEndpointsChanged(String name) {
    ServiceHandle h = handles.get(name);
    if (h != null) {
      h.fireEndpointsChanged();
    }
  }

  /**
   * Sets the registered instances of {@code service} (from a registry or the config server). They
   * are used when the service's policy declares no static endpoints.
   */
  public synchronized void updateEndpoints(String service, List<EndpointSpec> endpoints) {
    List<EndpointSpec> copy = List.copyOf(endpoints);
    List<EndpointSpec> previous = registered.put(service, copy);
    try {
      CompiledService c = compile(service, policy);
      Map<ServiceRuntime, @Nullable CompiledService> change = new HashMap<>();
      change.put(runtime(service), c);
      table.publish(change);
    } catch (RuntimeException e) {
      if (previous == null) {
        registered.remove(service);
      } else {
        registered.put(service, previous);
      }
      throw e;
    }
    fireEndpointsChanged(service);
  }

  private @Nullable CompiledService compile(String name, MeshPolicy p) {
    ServicePolicy sp = p.service(name);
    List<EndpointSpec> reg = registered.get(name);
    if (sp == null) {
      if (reg == null) {
        return null;
      }
      sp = ServicePolicy.builder(name).build();
    }
    List<EndpointSpec> eps = sp.endpoints().isEmpty() ? (reg == null ? List.of() : reg) : sp.endpoints();
    return runtime(name).compile(sp, eps);
  }

  private ServiceRuntime runtime(String name) {
    return runtimes.computeIfAbsent(
        name, n -> new ServiceRuntime(table, n, ticker, random, localZone, listener));
  }

  /**
   * The handle for {@code service}, created on first use. A handle for a service the mesh does not
   * know yet becomes live when a policy or endpoints for it arrive.
   */
  public ServiceHandle service(String service) {
    ServiceHandle h = handles.get(service);
    if (h != null) {
      return h;
    }
    return handles.computeIfAbsent(service, n -> new ServiceHandle(runtime(n)));
  }

  /** Whether the mesh has a policy or registered endpoints for {@code service}. Allocation-free. */
  public boolean knows(String service) {
    ServiceRuntime r = runtimes.get(service);
    return r != null && r.compiled() != null;
  }

  /** The names of the services the mesh knows. */
  public Set<String> services() {
    Set<String> out = new TreeSet<>();
    runtimes.forEach(
        (n, r) -> {
          if (r.compiled() != null) {
            out.add(n);
          }
        });
    return out;
  }

  /** Builds a {@link Mesh}. */
  public static final class Builder {
    private Ticker ticker = Ticker.system();
    private RandomSource random = RandomSource.threadLocal();
    private String localZone = "";
    private MeshListener listener = MeshListener.NONE;

    private Builder() {}

    /** The clock; inject a fake one in tests. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The randomness; inject a seeded one in tests. */
    public Builder random(RandomSource random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** This process's zone, preferred by zone-aware balancing. */
    public Builder localZone(String localZone) {
      this.localZone = Objects.requireNonNull(localZone, "localZone");
      return this;
    }

    public Builder listener(MeshListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public Mesh build() {
      return new Mesh(this);
    }
  }
}
