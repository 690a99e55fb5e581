package io.meshclient.spring.internal;

import io.meshclient.config.WatcherListener;
import io.meshclient.spring.MeshConfigStatus;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Tracks a policy source (config server stream or policy directory) through its {@link
 * WatcherListener} events, for the actuator endpoint and health.
 */
public final class SourceStatus implements MeshConfigStatus, WatcherListener {

  private final String source;
  private final boolean file;
  private final Clock clock;
  private volatile BooleanSupplier connected = () -> false;
  private volatile Supplier<String> version = () -> "";
  private volatile @Nullable String lastError;

  private SourceStatus(String source, boolean file, Clock clock) {
    this.source = source;
    this.file = file;
    this.clock = clock;
  }

  public static SourceStatus server(String address, Clock clock) {
    return new SourceStatus("server " + address, false, clock);
  }

  public static SourceStatus directory(Path directory, Clock clock) {
    return new SourceStatus("directory " + directory, true, clock);
  }

  /** Connects the status to the running source's state. */
  void bind(BooleanSupplier connected, Supplier<String> version) {
    this.connected = connected;
    this.version = version;
  }

  @Override
  public State state() {
    if (file) {
      return State.FILE;
    }
    if (connected.getAsBoolean()) {
      return State.CONNECTED;
    }
    return version.get().isEmpty() ? State.CONNECTING : State.CACHED;
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public @Nullable String lastError() {
    return lastError;
  }

  private void error(String what) {
    lastError = clock.instant() + " " + what;
  }

  @Override
  public void onRejected(String version, String reason) {
    error("rejected policy " + version + ": " + reason);
  }

  @Override
  public void onDisconnected(Status status, Duration retryIn) {
    error("config stream closed (" + status.getCode() + describe(status) + "), retrying in " + retryIn);
  }

  @Override
  public void onCacheProblem(Path file, String problem) {
    error("policy cache " + file + " ignored: " + problem);
  }

  private static String describe(Status status) {
    return status.getDescription() == null ? "" : ": " + status.getDescription();
  }
}
