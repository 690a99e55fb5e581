package io.meshclient.config;

import io.grpc.Status;
import io.meshclient.policy.MeshPolicy;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * Events of a policy source ({@link MeshConfigWatcher}, {@link FilePolicySource}), for logs,
 * metrics and tests. Every method has an empty default; implementations must not throw or block.
 */
public interface WatcherListener {

  WatcherListener NONE = new WatcherListener() {};

  /** An update was applied; {@code policy} is what the sink now runs. */
  default void onApplied(String version, MeshPolicy policy) {}

  /** Endpoints of a service were updated. */
  default void onEndpoints(String service, int count) {}

  /**
   * An update was rejected (NACKed); the previous policy stays in force.
   *
   * @param version the rejected version
   * @param reason why, with every problem
   */
  default void onRejected(String version, String reason) {}

  /** The stream to the server ended; a new one is attempted after {@code retryIn}. */
  default void onDisconnected(Status status, Duration retryIn) {}

  /** The last applied policy was loaded from the cache (the server was not needed). */
  default void onCacheLoaded(String version) {}

  /** The cache file could not be used; it is ignored. */
  default void onCacheProblem(Path file, String problem) {}

  /**
   * The streamed trust bundle changed and was given to the credentials ({@link
   * MeshConfigWatcher.Builder#trustBundleTo}); {@code roots} is the new bundle.
   */
  default void onTrustBundle(String version, List<X509Certificate> roots) {}
}
