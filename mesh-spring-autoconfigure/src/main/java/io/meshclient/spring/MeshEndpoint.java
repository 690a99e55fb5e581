package io.meshclient.spring;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.WorkloadIdentity;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The actuator {@code mesh} endpoint: the policy version in force, where it came from and the
 * last config error, and per service its counters and endpoints with their live state (breaker,
 * ejection, in-flight, latency). {@code /actuator/mesh/{service}} shows one service. With a
 * {@link MeshCredentials} bean, also the workload certificate in use (SPIFFE ID, serial, validity)
 * and, with workload identity enabled, how many renewals succeeded and failed.
 */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "mesh")
public class MeshEndpoint {

  private final Mesh mesh;
  private final MeshConfigStatus config;
  private final @Nullable MeshCredentials credentials;
  private final @Nullable MeshIdentityStatus identityStatus;
  private final Clock clock;

  public MeshEndpoint(Mesh mesh, MeshConfigStatus config) {
    this(mesh, config, null, null, Clock.systemUTC());
  }

  /**
   * @param credentials the certificate to show, if any
   * @param identityStatus the renewer's counts, if it runs
   * @param clock measures the time left until the certificate expires
   */
  public MeshEndpoint(
      Mesh mesh,
      MeshConfigStatus config,
      @Nullable MeshCredentials credentials,
      @Nullable MeshIdentityStatus identityStatus,
      Clock clock) {
    this.mesh = mesh;
    this.config = config;
    this.credentials = credentials;
    this.identityStatus = identityStatus;
    this.clock = clock;
  }

  @ReadOperation
  public MeshDescriptor mesh() {
    Map<String, ServiceDescriptor> services = new LinkedHashMap<>();
    long now = mesh.ticker().read();
    for (String name : mesh.services()) {
      services.put(name, describe(mesh.service(name), now));
    }
    return new MeshDescriptor(
        mesh.policy().version(),
        mesh.localZone(),
        new ConfigDescriptor(config.state().name(), config.source(), config.lastError()),
        identity(),
        services);
  }

  private @Nullable IdentityDescriptor identity() {
    if (credentials == null) {
      return null;
    }
    WorkloadIdentity id = credentials.identity();
    MeshIdentityStatus s = identityStatus;
    long renewals = s == null ? 0 : s.renewals();
    long failures = s == null ? 0 : s.failures();
    String lastFailure = s == null ? null : s.lastFailure();
    if (id == null) {
      return new IdentityDescriptor(null, null, null, null, 0, renewals, failures, lastFailure);
    }
    X509Certificate leaf = id.leaf();
    Instant notAfter = leaf.getNotAfter().toInstant();
    return new IdentityDescriptor(
        id.id().toString(),
        leaf.getSerialNumber().toString(16),
        leaf.getNotBefore().toInstant().toString(),
        notAfter.toString(),
        Duration.between(clock.instant(), notAfter).toSeconds(),
        renewals,
        failures,
        lastFailure);
  }

  /** One service, or 404 when the mesh does not know it. */
  @ReadOperation
  public @Nullable ServiceDescriptor service(@Selector String service) {
    if (!mesh.knows(service)) {
      return null;
    }
    return describe(mesh.service(service), mesh.ticker().read());
  }

  private static ServiceDescriptor describe(ServiceHandle handle, long now) {
    ServicePolicy p = handle.policy();
    List<EndpointDescriptor> endpoints = new ArrayList<>();
    for (Endpoint e : handle.endpoints()) {
      endpoints.add(
          new EndpointDescriptor(
              e.address(),
              e.zone(),
              e.labels(),
              e.weight(),
              e.inFlight(),
              e.breakerState().name(),
              e.isEjected(now),
              e.ejectionCount(),
              e.latencyEwmaNanos() / 1_000));
    }
    ServiceHandle.Stats s = handle.stats();
    PolicySummary policy =
        p == null
            ? null
            : new PolicySummary(
                format(p.timeout()),
                p.loadBalancer().algorithm().name(),
                p.retry().maxAttempts(),
                p.retry().retryOn(),
                p.routes().size(),
                p.tls().name());
    return new ServiceDescriptor(
        policy,
        new StatsDescriptor(
            s.requests(), s.retries(), s.retriesDenied(), s.rejections(), s.ejections(), s.inFlight()),
        endpoints);
  }

  private static String format(Duration d) {
    return d.isZero() ? "none" : d.toString();
  }

  /** The whole mesh. */
  public record MeshDescriptor(
      String policyVersion,
      String localZone,
      ConfigDescriptor config,
      @Nullable IdentityDescriptor identity,
      Map<String, ServiceDescriptor> services)
      implements OperationResponseBody {}

  /**
   * The workload certificate in use (null fields before the first), and the renewer's counts.
   *
   * @param expiresInSeconds until {@code notAfter}; negative once expired
   */
  public record IdentityDescriptor(
      @Nullable String spiffeId,
      @Nullable String serial,
      @Nullable String notBefore,
      @Nullable String notAfter,
      long expiresInSeconds,
      long renewals,
      long renewalFailures,
      @Nullable String lastFailure) {}

  /** The policy source. */
  public record ConfigDescriptor(String state, String source, @Nullable String lastError) {}

  /** One service. */
  public record ServiceDescriptor(
      @Nullable PolicySummary policy, StatsDescriptor stats, List<EndpointDescriptor> endpoints)
      implements OperationResponseBody {}

  /** The headline of a service's policy. */
  public record PolicySummary(
      String timeout,
      String loadBalancer,
      int retryMaxAttempts,
      List<String> retryOn,
      int routes,
      String tls) {}

  /** Counters since start. */
  public record StatsDescriptor(
      long requests,
      long retries,
      long retriesDenied,
      long rejections,
      long ejections,
      int inFlight) {}

  /** One endpoint and its live state. */
  public record EndpointDescriptor(
      String address,
      String zone,
      Map<String, String> labels,
      int weight,
      int inFlight,
      String breaker,
      boolean ejected,
      int ejections,
      long latencyEwmaMicros) {}
}
