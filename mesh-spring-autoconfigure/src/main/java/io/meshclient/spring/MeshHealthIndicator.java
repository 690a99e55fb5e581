package io.meshclient.spring;

import io.meshclient.Endpoint;
import io.meshclient.Mesh;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.WorkloadIdentity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the mesh's policy source. UP while a policy is in force, also when the config server
 * is unreachable and the last applied policy is used ({@code config: CACHED}): an unreachable
 * config server must not take every instance out of service. OUT_OF_SERVICE while the instance
 * waits for its first policy. Details name the source, the version, the last config error and how
 * many endpoints are ejected or behind an open breaker.
 *
 * <p>With a {@link MeshCredentials} bean (mutual TLS), the workload certificate counts too: DOWN
 * once it has expired (handshakes fail), OUT_OF_SERVICE before the first one, with its SPIFFE ID
 * and expiry in the details.
 */
public class MeshHealthIndicator extends AbstractHealthIndicator {

  private final Mesh mesh;
  private final MeshConfigStatus config;
  private final @Nullable MeshCredentials credentials;
  private final Clock clock;

  public MeshHealthIndicator(Mesh mesh, MeshConfigStatus config) {
    this(mesh, config, null, Clock.systemUTC());
  }

  public MeshHealthIndicator(
      Mesh mesh, MeshConfigStatus config, @Nullable MeshCredentials credentials, Clock clock) {
    super("MeshClient health check failed");
    this.mesh = mesh;
    this.config = config;
    this.credentials = credentials;
    this.clock = clock;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    MeshConfigStatus.State state = config.state();
    if (state == MeshConfigStatus.State.CONNECTING) {
      builder.outOfService();
    } else {
      builder.up();
    }
    builder
        .withDetail("config", state.name())
        .withDetail("source", config.source())
        .withDetail("policyVersion", mesh.policy().version())
        .withDetail("services", mesh.services().size());
    String error = config.lastError();
    if (error != null) {
      builder.withDetail("lastConfigError", error);
    }
    long now = mesh.ticker().read();
    int ejected = 0;
    int open = 0;
    for (String service : mesh.services()) {
      for (Endpoint e : mesh.service(service).endpoints()) {
        if (e.isEjected(now)) {
          ejected++;
        }
        if (e.breakerState() == Endpoint.BreakerState.OPEN) {
          open++;
        }
      }
    }
    builder.withDetail("ejectedEndpoints", ejected).withDetail("openBreakers", open);
    if (credentials != null) {
      certificate(builder, credentials.identity());
    }
  }

  private void certificate(Health.Builder builder, @Nullable WorkloadIdentity identity) {
    if (identity == null) {
      builder.outOfService().withDetail("identity", "no certificate yet");
      return;
    }
    Instant notAfter = Instant.ofEpochMilli(identity.notAfterMillis());
    Duration left = Duration.between(clock.instant(), notAfter);
    builder
        .withDetail("identity", identity.id().toString())
        .withDetail("certificateNotAfter", notAfter.toString())
        .withDetail("certificateExpiresIn", left.isNegative() ? "expired" : left.toString());
    if (left.isNegative() || left.isZero()) {
      builder.down();
    }
  }
}
