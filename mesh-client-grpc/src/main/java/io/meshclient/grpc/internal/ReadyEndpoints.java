package io.meshclient.grpc.internal;

import io.grpc.Attributes;
import io.meshclient.Endpoint;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Which endpoints of one channel have a READY connection now: published by the channel's balancer
 * on every picker change, read by its interceptor to decide whether an attempt can be picked on the
 * caller's thread without the per-call {@code CallOptions} (see {@link MeshAttempt#CURRENT}). One
 * per channel, handed to the balancer with the resolved addresses.
 */
public final class ReadyEndpoints {

  static final Attributes.Key<ReadyEndpoints> KEY = Attributes.Key.create("meshclient.ready");

  private volatile Map<Endpoint, Boolean> ready = Map.of();

  /** Whether {@code e} had a READY connection at the last picker change. Allocation-free. */
  boolean isReady(Endpoint e) {
    return ready.containsKey(e);
  }

  void publish(IdentityHashMap<Endpoint, Boolean> now) {
    ready = now;
  }

  void clear() {
    ready = Map.of();
  }
}
