package io.meshclient.internal.engine;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The compiled snapshot of every service of one mesh, indexed by each service's slot. An update
 * replaces the whole array with one volatile write, so a policy that changes several services
 * becomes visible to all of them at once; a request reads its service's entry with one volatile
 * load.
 */
public final class ServiceTable {
  private final AtomicInteger nextSlot = new AtomicInteger();
  private volatile @Nullable CompiledService[] slots = new CompiledService[0];

  int allocateSlot() {
    return nextSlot.getAndIncrement();
  }

  @Nullable CompiledService get(int slot) {
    @Nullable CompiledService[] s = slots;
    return slot < s.length ? s[slot] : null;
  }

  /** Publishes these services' new snapshots (null: unknown) together. Callers serialize updates. */
  public void publish(Map<ServiceRuntime, @Nullable CompiledService> changes) {
    @Nullable CompiledService[] next = Arrays.copyOf(slots, nextSlot.get());
    changes.forEach((runtime, compiled) -> next[runtime.slot] = compiled);
    slots = next;
  }
}
