package io.meshclient.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.RandomSource;
import io.meshclient.internal.policy.HostAndPort;
import io.meshclient.policy.EndpointSpec;
import org.junit.jupiter.api.Test;

/** The ring-hash picker called directly, for sizes too large to drive through a policy. */
class RingHashPickerTest {

  private static EndpointState[] endpoints(int n) {
    EndpointState[] out = new EndpointState[n];
    for (int i = 0; i < n; i++) {
      String address = "10." + (i / 250) + "." + (i % 250) + ".1:80";
      out[i] = new EndpointState("orders", HostAndPort.parse(address), EndpointSpec.of(address));
    }
    return out;
  }

  /** 3000 endpoints × 1024 virtual nodes would be 3M points: the ring is scaled to 2^20. */
  @Test
  void aVeryLargeRingIsBoundedAndStillSpreadsKeys() {
    int n = 3000;
    Picker.RingHash ring = new Picker.RingHash(endpoints(n), 1024);
    int[] counts = new int[n];
    int keys = 300_000;
    RandomSource unused = RandomSource.seeded(1);
    for (int k = 0; k < keys; k++) {
      counts[ring.pick(Hashing.hash("user-" + k), true, 0, unused)]++;
    }
    int max = 0;
    int empty = 0;
    for (int c : counts) {
      max = Math.max(max, c);
      empty += c == 0 ? 1 : 0;
    }
    // about 340 points each: every endpoint owns keys, none more than twice its share
    assertThat(empty).isZero();
    assertThat(max).isLessThan(2 * keys / n);
  }

  @Test
  void theNextOwnerIsAnotherEndpoint() {
    Picker.RingHash ring = new Picker.RingHash(endpoints(3), 64);
    for (int k = 0; k < 1000; k++) {
      long h = Hashing.hash("key-" + k);
      int owner = ring.pick(h, true, 0, RandomSource.seeded(1));
      assertThat(ring.next(h, owner)).isNotEqualTo(owner);
    }
  }
}
