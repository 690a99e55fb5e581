package io.meshclient.config.internal;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Calls {@code onChange} when the files of a directory change, debounced: after an event, it waits
 * until the directory has been quiet for {@code debounce}, so an editor's save (write, rename,
 * chmod) or a {@code git checkout} of many files is one reload, not many. It also calls it every
 * {@code rescan}, whatever happened, because file-system events can be lost (overflow, network
 * file systems); a reload of unchanged files publishes nothing since versions are content hashes.
 *
 * <p>Watches the directory itself, not subdirectories: a Kubernetes ConfigMap volume, which swaps a
 * {@code ..data} symlink in the directory, is seen.
 */
public final class DirectoryWatcher implements AutoCloseable {

  private final Path dir;
  private final long debounceNanos;
  private final long rescanNanos;
  private final Runnable onChange;
  private final WatchService watch;
  private final Thread thread;
  private volatile boolean closed;

  public DirectoryWatcher(Path dir, Duration debounce, Duration rescan, Runnable onChange, String threadName)
      throws IOException {
    this.dir = dir;
    this.debounceNanos = debounce.toNanos();
    this.rescanNanos = rescan.toNanos();
    this.onChange = onChange;
    this.watch = FileSystems.getDefault().newWatchService();
    dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.OVERFLOW);
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
  }

  public DirectoryWatcher start() {
    thread.start();
    return this;
  }

  public Path directory() {
    return dir;
  }

  private void run() {
    long lastCheck = System.nanoTime();
    try {
      while (!closed) {
        WatchKey key = watch.poll(rescanNanos, TimeUnit.NANOSECONDS);
        boolean fire;
        if (key != null) {
          drain(key);
          // Debounce: keep absorbing events until the directory is quiet.
          while (!closed) {
            WatchKey more = watch.poll(debounceNanos, TimeUnit.NANOSECONDS);
            if (more == null) {
              break;
            }
            drain(more);
          }
          fire = true;
        } else {
          fire = System.nanoTime() - lastCheck >= rescanNanos;
        }
        if (fire && !closed) {
          lastCheck = System.nanoTime();
          try {
            onChange.run();
          } catch (RuntimeException e) {
            System.getLogger(DirectoryWatcher.class.getName())
                .log(System.Logger.Level.ERROR, "reload of " + dir + " failed", e);
          }
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    }
  }

  private static void drain(WatchKey key) {
    key.pollEvents();
    key.reset();
  }

  @Override
  public void close() {
    closed = true;
    try {
      watch.close();
    } catch (IOException e) {
      // nothing to do
    }
    thread.interrupt();
  }
}
