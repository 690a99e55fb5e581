package io.meshclient.config.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The default timer of the watcher and the certificate renewer: one daemon thread for the whole
 * process. Their tasks only hop into a synchronization context, so one thread is plenty.
 */
public final class SharedTimer {

  private static final ScheduledExecutorService INSTANCE =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "meshclient-config-timer");
            t.setDaemon(true);
            return t;
          });

  private SharedTimer() {}

  public static ScheduledExecutorService get() {
    return INSTANCE;
  }
}
