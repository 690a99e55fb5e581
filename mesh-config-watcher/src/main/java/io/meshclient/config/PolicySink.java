package io.meshclient.config;

import io.meshclient.Mesh;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import java.util.List;
import java.util.Objects;

/**
 * Where a policy source delivers: normally a {@link Mesh} ({@link #of(Mesh)}). Calls come one at a
 * time, never concurrently. An implementation rejects an update by throwing {@link
 * IllegalArgumentException} (as {@link Mesh#update} does), and must then keep what it had: the
 * watcher NACKs the update with the exception's message.
 */
public interface PolicySink {

  /** Makes {@code policy} the policy in force. */
  void apply(MeshPolicy policy);

  /** Sets the registered instances of {@code service} (used when its policy has no static endpoints). */
  void endpoints(String service, List<EndpointSpec> endpoints);

  /**
   * A sink that ignores everything: for a watcher that only registers this process's endpoint
   * while its policy comes from elsewhere (a {@link FilePolicySource}, another watcher).
   */
  static PolicySink none() {
    return NoneSink.INSTANCE;
  }

  /** A sink that applies to {@code mesh}. */
  static PolicySink of(Mesh mesh) {
    Objects.requireNonNull(mesh, "mesh");
    return new PolicySink() {
      @Override
      public void apply(MeshPolicy policy) {
        mesh.update(policy);
      }

      @Override
      public void endpoints(String service, List<EndpointSpec> endpoints) {
        mesh.updateEndpoints(service, endpoints);
      }

      @Override
      public String toString() {
        return "PolicySink.of(" + mesh + ")";
      }
    };
  }
}

enum NoneSink implements PolicySink {
  INSTANCE;

  @Override
  public void apply(MeshPolicy policy) {}

  @Override
  public void endpoints(String service, List<EndpointSpec> endpoints) {}

  @Override
  public String toString() {
    return "PolicySink.none()";
  }
}
