package io.meshclient.grpc.internal;

import io.meshclient.MeshCall;
import io.meshclient.ServiceHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Reuses {@link MeshCall}s (they reset on {@code start}), so a gRPC call costs the engine no
 * allocation. gRPC calls end on other threads than they start on, which rules out a thread-local
 * cache; a few atomic slots probed from a per-thread offset are uncontended in practice. When all
 * probed slots are empty a new call is made; when all are full a returned call is dropped.
 */
final class MeshCallPool {

  private static final int SLOTS = 64;
  private static final int PROBES = 8;

  private final ServiceHandle handle;
  private final AtomicReferenceArray<MeshCall> slots = new AtomicReferenceArray<>(SLOTS);

  MeshCallPool(ServiceHandle handle) {
    this.handle = handle;
  }

  private static int offset() {
    long id = Thread.currentThread().getId();
    return (int) ((id * 0x9E3779B97F4A7C15L) >>> 58); // 6 bits: [0, 64)
  }

  MeshCall acquire() {
    int base = offset();
    for (int i = 0; i < PROBES; i++) {
      int slot = (base + i) & (SLOTS - 1);
      MeshCall c = slots.get(slot);
      if (c != null && slots.compareAndSet(slot, c, null)) {
        return c;
      }
    }
    return handle.newCall();
  }

  /** Returns a call after {@link MeshCall#finish()}; the caller must not touch it again. */
  void release(MeshCall call) {
    int base = offset();
    for (int i = 0; i < PROBES; i++) {
      int slot = (base + i) & (SLOTS - 1);
      if (slots.get(slot) == null && slots.compareAndSet(slot, null, call)) {
        return;
      }
    }
  }
}
