package io.meshclient.grpc.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The timer for retry backoff when the application gives none: one daemon thread, made on first
 * use.
 */
public final class Schedulers {

  private Schedulers() {}

  private static final class Holder {
    static final ScheduledExecutorService SHARED = create();

    private static ScheduledExecutorService create() {
      ScheduledThreadPoolExecutor s =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "meshclient-grpc-retry-timer");
                t.setDaemon(true);
                return t;
              });
      s.setRemoveOnCancelPolicy(true); // a cancelled backoff leaves nothing behind
      return s;
    }
  }

  /** A process-wide timer thread, never shut down (daemon). */
  public static ScheduledExecutorService shared() {
    return Holder.SHARED;
  }
}
