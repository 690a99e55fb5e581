package io.meshclient.config;

import io.meshclient.Mesh;
import io.meshclient.config.internal.DirectoryWatcher;
import io.meshclient.policy.MeshPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@link Mesh} from a directory of policy files, without a config server: the embedded
 * default for a single service or a laptop.
 *
 * <p>{@link #start()} reads the directory and applies it, then watches it (debounced) and applies
 * each change. The rules are the server's ({@link PolicyDirectory}): a file with problems is
 * rejected with its path and reasons ({@link WatcherListener#onRejected}) and the last good content
 * of that file stays in force. Versions are {@code file-<content hash>}.
 */
public final class FilePolicySource implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(FilePolicySource.class.getName());

  private final PolicyDirectory directory;
  private final PolicySink sink;
  private final WatcherListener listener;
  private final Duration debounce;
  private final Duration rescan;
  private @Nullable DirectoryWatcher watcher;
  private volatile String version = "";
  private volatile List<FileProblem> problems = List.of();

  private FilePolicySource(Builder b) {
    this.directory = new PolicyDirectory(Objects.requireNonNull(b.directory, "directory"));
    this.sink = Objects.requireNonNull(b.sink, "mesh or sink");
    this.listener = b.listener;
    this.debounce = b.debounce;
    this.rescan = b.rescan;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Applies the directory now, then watches it. */
  public synchronized FilePolicySource start() {
    if (watcher != null) {
      return this;
    }
    reload();
    try {
      watcher = new DirectoryWatcher(directory.directory(), debounce, rescan, this::reload,
          "meshclient-file-source").start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + directory.directory(), e);
    }
    return this;
  }

  /** Reads the directory and applies it if it changed. Called by the watch thread; public for tools. */
  public synchronized void reload() {
    PolicyDirectory.Snapshot s = directory.reload();
    problems = s.problems();
    String v = "file-" + s.hash();
    if (!s.rejected().isEmpty()) {
      String reason = s.problems().stream().map(FileProblem::toString).collect(Collectors.joining("\n  "));
      LOG.log(Level.WARNING, "meshclient: rejected policy files (the last good versions stay in force):\n  " + reason);
      listener.onRejected(v, reason);
    }
    if (!s.changed()) {
      return;
    }
    MeshPolicy policy = PolicyConversion.toMeshPolicy(v, s.policies().values());
    try {
      sink.apply(policy);
    } catch (IllegalArgumentException e) {
      LOG.log(Level.WARNING, "meshclient: the mesh rejected policy " + v + ": " + e.getMessage());
      listener.onRejected(v, String.valueOf(e.getMessage()));
      return;
    }
    version = v;
    listener.onApplied(v, policy);
  }

  /** The version in force, {@code file-<hash>}, or empty before the first successful read. */
  public String version() {
    return version;
  }

  /** The problems of the last reading (empty when every file is good). */
  public List<FileProblem> problems() {
    return problems;
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
  }

  /** Builds a {@link FilePolicySource}. */
  public static final class Builder {
    private @Nullable Path directory;
    private @Nullable PolicySink sink;
    private WatcherListener listener = WatcherListener.NONE;
    private Duration debounce = Duration.ofMillis(200);
    private Duration rescan = Duration.ofSeconds(30);

    private Builder() {}

    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    public Builder mesh(Mesh mesh) {
      this.sink = PolicySink.of(mesh);
      return this;
    }

    public Builder sink(PolicySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    public Builder listener(WatcherListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** How long the directory must be quiet before a change is read (default 200 ms). */
    public Builder debounce(Duration debounce) {
      this.debounce = Objects.requireNonNull(debounce, "debounce");
      return this;
    }

    /** A full re-read this often even without events (default 30 s). */
    public Builder rescan(Duration rescan) {
      this.rescan = Objects.requireNonNull(rescan, "rescan");
      return this;
    }

    public FilePolicySource build() {
      return new FilePolicySource(this);
    }
  }
}
