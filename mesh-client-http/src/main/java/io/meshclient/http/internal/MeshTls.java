package io.meshclient.http.internal;

import io.meshclient.ServiceHandle;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.WorkloadIdentity;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import okhttp3.ConnectionPool;
import org.jspecify.annotations.Nullable;

/**
 * One client's mutual TLS: its credentials, the services it has called under mTLS, and the
 * identity generation its connections were made in.
 *
 * <p>After an identity update, peers should see the new certificate soon, and no call may fail
 * for it. So connections made before the update are retired, not closed: each finishes the
 * exchange it carries, then OkHttp finds it unfit for another (see {@link MeshSocket}) and opens
 * a new one, which presents the new certificate. Idle ones are closed at once when the pool is
 * known ({@link #evictIdleOnRotation}).
 */
public final class MeshTls {

  final MeshCredentials credentials;
  private final ConcurrentHashMap<String, ServiceTls> services = new ConcurrentHashMap<>();
  private final AtomicInteger generation = new AtomicInteger();
  private volatile @Nullable ConnectionPool pool;

  public MeshTls(MeshCredentials credentials) {
    this.credentials = credentials;
    credentials.onIdentityUpdated(new OnRotation(this));
  }

  /** The service's mTLS state; made when its first mTLS route is (rare). */
  ServiceTls service(ServiceHandle handle) {
    return services.computeIfAbsent(handle.name(), n -> new ServiceTls(handle, credentials));
  }

  @Nullable ServiceTls service(String name) {
    return services.get(name);
  }

  /** Identity updates so far: a connection made in an older generation is retired. */
  int generation() {
    return generation.get();
  }

  /** After each identity update, also closes the idle connections of {@code pool} right away. */
  public void evictIdleOnRotation(ConnectionPool pool) {
    this.pool = pool;
  }

  private void rotated() {
    generation.incrementAndGet();
    ConnectionPool p = pool;
    if (p != null) {
      p.evictAll(); // idle connections only: calls in flight keep theirs
    }
  }

  /**
   * Holds the client weakly: credentials outlive clients, and a dropped client must not be kept
   * alive by its registration (what remains is this small object in the credentials' list).
   */
  private static final class OnRotation implements Consumer<WorkloadIdentity> {
    private final WeakReference<MeshTls> tls;

    OnRotation(MeshTls tls) {
      this.tls = new WeakReference<>(tls);
    }

    @Override
    public void accept(WorkloadIdentity identity) {
      MeshTls t = tls.get();
      if (t != null) {
        t.rotated();
      }
    }
  }
}
