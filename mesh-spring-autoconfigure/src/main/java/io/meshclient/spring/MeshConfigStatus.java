package io.meshclient.spring;

import org.jspecify.annotations.Nullable;

/**
 * Where the mesh's policy comes from and how that source is doing: what the actuator endpoint and
 * the health contributor report. The config integration supplies one for the config server or the
 * policy directory; without one the policy is static (a {@code MeshPolicy} bean, or none).
 */
public interface MeshConfigStatus {

  /** The state of a policy source. */
  enum State {
    /** The policy is fixed in the application (a MeshPolicy bean) or absent. */
    STATIC,
    /** Policy files in a local directory are applied. */
    FILE,
    /** The config stream is connected and applying pushes. */
    CONNECTED,
    /** The config server is unreachable; the last applied (or cached) policy is in force. */
    CACHED,
    /** Never connected yet and no policy to run on. */
    CONNECTING
  }

  /** The state now. */
  State state();

  /** A human-readable name of the source, such as {@code server mesh-config:7070}. */
  String source();

  /** The last rejected policy or connection error (with its time), or null. */
  @Nullable String lastError();

  /** A source whose policy never changes. */
  static MeshConfigStatus fixed() {
    return StaticConfigStatus.INSTANCE;
  }
}

enum StaticConfigStatus implements MeshConfigStatus {
  INSTANCE;

  @Override
  public State state() {
    return State.STATIC;
  }

  @Override
  public String source() {
    return "static";
  }

  @Override
  public @Nullable String lastError() {
    return null;
  }
}
