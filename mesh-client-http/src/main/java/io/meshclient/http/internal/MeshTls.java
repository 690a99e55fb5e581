package io.meshclient.http.internal;

import io.meshclient.ServiceHandle;
import io.meshclient.tls.MeshCredentials;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.ConnectionPool;
import org.jspecify.annotations.Nullable;

/** One client's mutual TLS: its credentials and the services it has called under mTLS. */
public final class MeshTls {

  final MeshCredentials credentials;
  private final ConcurrentHashMap<String, ServiceTls> services = new ConcurrentHashMap<>();

  public MeshTls(MeshCredentials credentials) {
    this.credentials = credentials;
  }

  /** The service's mTLS state; made when its first mTLS route is (rare). */
  ServiceTls service(ServiceHandle handle) {
    return services.computeIfAbsent(handle.name(), n -> new ServiceTls(handle, credentials));
  }

  @Nullable ServiceTls service(String name) {
    return services.get(name);
  }

  /**
   * After each identity update, closes the idle connections of {@code pool}, so that the next
   * requests open connections that present the new certificate and peers see it soon. Calls in
   * flight keep their connections (OkHttp evicts only idle ones). The listener holds the pool
   * weakly: a client that is dropped is not kept alive by its credentials.
   */
  public void evictIdleOnRotation(ConnectionPool pool) {
    WeakReference<ConnectionPool> ref = new WeakReference<>(pool);
    credentials.onIdentityUpdated(
        identity -> {
          ConnectionPool p = ref.get();
          if (p != null) {
            p.evictAll();
          }
        });
  }
}
