package io.meshclient.grpc.internal;

import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The real channels below one mesh channel: a plaintext one and, when the application gave mesh
 * credentials, a mutual-TLS one, built up front when they can be foreseen ({@link #prepare}),
 * else on first use. A channel's transport credentials are
 * fixed when it is built, while the service's {@code tls} mode is live policy; so each call picks
 * the channel its policy snapshot asks for, and both share the mesh channel's lifecycle.
 *
 * <p>Both channels follow the service's endpoint list. The one not in use keeps trying the
 * endpoints it was given (with grpc's reconnect backoff) until grpc's idle timeout (default 30
 * minutes, {@code configure(b -> b.idleTimeout(..))}) puts it to rest; it is not forced idle on
 * a mode change, because a call still running on the previous snapshot may yet need it.
 */
public final class Transports {

  // Slots: which real channel serves a call (NONE: the call needs mTLS this channel cannot do).
  private static final int NONE = 0;
  private static final int PLAINTEXT = 1;
  private static final int MTLS = 2;

  private final ServiceHandle handle;
  private final Function<ChannelCredentials, Transport> factory;
  private final ChannelCredentials plaintextCredentials;
  private final @Nullable ChannelCredentials mtlsCredentials;
  private final boolean applicationTls;

  private volatile @Nullable Transport plaintext;
  private volatile @Nullable Transport mtls;
  private volatile boolean shutdown;

  // Guarded by this: callbacks waiting for a state change of a channel that cannot exist.
  private final List<Runnable> waiting = new ArrayList<>();

  /**
   * @param factory builds a real channel with the given credentials
   * @param plaintextCredentials for DISABLE (and every call, when {@code applicationTls})
   * @param mtlsCredentials for PERMISSIVE and STRICT; null when the application gave none
   * @param applicationTls whether {@code plaintextCredentials} are the application's own (then
   *     the policy's mode does not choose the channel: the application owns transport security)
   */
  public Transports(
      ServiceHandle handle,
      Function<ChannelCredentials, Transport> factory,
      ChannelCredentials plaintextCredentials,
      @Nullable ChannelCredentials mtlsCredentials,
      boolean applicationTls) {
    this.handle = handle;
    this.factory = factory;
    this.plaintextCredentials = plaintextCredentials;
    this.mtlsCredentials = mtlsCredentials;
    this.applicationTls = applicationTls;
  }

  /**
   * The channel for a call under {@code mode}, built on first use; null when {@code mode} demands
   * mutual TLS and there are no mesh credentials. Allocation-free once built.
   */
  @Nullable Transport select(TlsMode mode) {
    return switch (slot(mode)) {
      case PLAINTEXT -> {
        Transport t = plaintext;
        yield t != null ? t : create(false);
      }
      case MTLS -> {
        Transport t = mtls;
        yield t != null ? t : create(true);
      }
      default -> null;
    };
  }

  /**
   * Builds now the real channel the policy in force asks for, and the mTLS one whenever there are
   * mesh credentials (building a channel connects nothing). Otherwise the first call would pay
   * for it, TLS context included, inside its deadline.
   */
  public void prepare() {
    if (mtlsCredentials != null && !applicationTls) {
      create(true);
    }
    int now = slotNow();
    if (now != NONE) {
      create(now == MTLS);
    }
  }

  /** Which real channel serves calls under {@code mode}; NONE when it needs missing mTLS. */
  private int slot(TlsMode mode) {
    if (applicationTls) {
      return PLAINTEXT; // the application's own credentials, whatever the mode
    }
    if (mtlsCredentials == null) {
      // Without a mesh identity PERMISSIVE speaks plaintext, which a PERMISSIVE server accepts.
      return mode == TlsMode.STRICT ? NONE : PLAINTEXT;
    }
    return mode == TlsMode.DISABLE ? PLAINTEXT : MTLS;
  }

  /** The slot of the policy in force now (an unknown service has no TLS to ask for). */
  private int slotNow() {
    ServicePolicy p = handle.policy();
    return slot(p == null ? TlsMode.DISABLE : p.tls());
  }

  private synchronized Transport create(boolean tls) {
    Transport t = tls ? mtls : plaintext;
    if (t != null) {
      return t;
    }
    ChannelCredentials c = tls && mtlsCredentials != null ? mtlsCredentials : plaintextCredentials;
    t = factory.apply(c);
    if (shutdown) {
      t.channel().shutdownNow(); // lost a race with shutdown: the call fails as on a closed channel
    }
    if (tls) {
      mtls = t;
    } else {
      plaintext = t;
    }
    return t;
  }

  private synchronized List<Transport> built() {
    List<Transport> all = new ArrayList<>(2);
    if (plaintext != null) {
      all.add(plaintext);
    }
    if (mtls != null) {
      all.add(mtls);
    }
    return all;
  }

  /** The real channel the policy uses now; built first when {@code build}, else null if not yet. */
  private @Nullable Transport current(int slot, boolean build) {
    if (build) {
      return slot == NONE ? null : create(slot == MTLS);
    }
    return slot == MTLS ? mtls : slot == PLAINTEXT ? plaintext : null;
  }

  public boolean isShutdown() {
    return shutdown;
  }

  public void shutdown() {
    List<Runnable> run;
    synchronized (this) {
      shutdown = true;
      run = drainWaiting();
    }
    for (Transport t : built()) {
      t.channel().shutdown();
    }
    run.forEach(Runnable::run);
  }

  public void shutdownNow() {
    List<Runnable> run;
    synchronized (this) {
      shutdown = true;
      run = drainWaiting();
    }
    for (Transport t : built()) {
      t.channel().shutdownNow();
    }
    run.forEach(Runnable::run);
  }

  private List<Runnable> drainWaiting() {
    List<Runnable> run = new ArrayList<>(waiting);
    waiting.clear();
    return run;
  }

  public boolean isTerminated() {
    if (!shutdown) {
      return false;
    }
    for (Transport t : built()) {
      if (!t.channel().isTerminated()) {
        return false;
      }
    }
    return true;
  }

  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    for (Transport t : built()) {
      long left = deadline - System.nanoTime();
      if (!t.channel().awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The state of the channel the policy uses now: IDLE while it is not built yet, TRANSIENT_FAILURE
   * while the policy demands mTLS this channel cannot do.
   */
  public ConnectivityState getState(boolean requestConnection) {
    if (shutdown) {
      return ConnectivityState.SHUTDOWN;
    }
    int slot = slotNow();
    if (slot == NONE) {
      return ConnectivityState.TRANSIENT_FAILURE;
    }
    Transport t = current(slot, requestConnection);
    return t == null ? ConnectivityState.IDLE : t.channel().getState(requestConnection);
  }

  /**
   * Watches the channel the policy uses now (building it, which does not connect). While the policy
   * demands mTLS this channel cannot do, the state is TRANSIENT_FAILURE until the channel shuts
   * down.
   */
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    int slot = slotNow();
    Transport t = shutdown || slot == NONE ? null : current(slot, true);
    if (t != null) {
      t.channel().notifyWhenStateChanged(source, callback);
      return;
    }
    ConnectivityState now = shutdown ? ConnectivityState.SHUTDOWN : getState(false);
    synchronized (this) {
      if (source == now && !shutdown) {
        waiting.add(callback);
        return;
      }
    }
    callback.run();
  }

  public void resetConnectBackoff() {
    for (Transport t : built()) {
      t.channel().resetConnectBackoff();
    }
  }

  public void enterIdle() {
    for (Transport t : built()) {
      t.channel().enterIdle();
    }
  }
}
