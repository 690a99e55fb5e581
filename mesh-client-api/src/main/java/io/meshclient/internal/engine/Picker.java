package io.meshclient.internal.engine;

import io.meshclient.RandomSource;
import java.util.Arrays;

/**
 * Chooses among the available endpoints of one destination. Built when the endpoint set or its
 * health changes; {@link #pick} is arithmetic on arrays and allocates nothing (grpc-java's
 * "rebuild the picker, the request path only reads it").
 */
abstract class Picker {
  final EndpointState[] endpoints;

  Picker(EndpointState[] endpoints) {
    this.endpoints = endpoints;
  }

  /** The index of the chosen endpoint; {@code endpoints.length > 0}. */
  abstract int pick(long hash, boolean hasHash, long nowNanos, RandomSource random);

  /** Whether {@link #pick} moves a cursor shared by all calls (round robin schedules). */
  boolean advancesSharedCursor() {
    return false;
  }

  /**
   * Two distinct endpoints at random, the better one wins (Mitzenmacher; Finagle's {@code
   * P2CPick}): subclasses say what "better" means.
   */
  abstract static class PowerOfTwoChoices extends Picker {
    PowerOfTwoChoices(EndpointState[] endpoints) {
      super(endpoints);
    }

    /** Whether {@code candidate} should win over {@code incumbent}. */
    abstract boolean better(EndpointState candidate, EndpointState incumbent, long nowNanos);

    @Override
    final int pick(long hash, boolean hasHash, long nowNanos, RandomSource random) {
      int n = endpoints.length;
      if (n == 1) {
        return 0;
      }
      int a = random.nextInt(n);
      int b = random.nextInt(n - 1);
      if (b >= a) {
        b++;
      }
      return better(endpoints[b], endpoints[a], nowNanos) ? b : a;
    }
  }

  /** Each in turn (grpc-java: {@code getAndIncrement() & Integer.MAX_VALUE}). */
  static final class RoundRobin extends Picker {
    private final PaddedCounter counter;

    RoundRobin(EndpointState[] endpoints, PaddedCounter counter) {
      super(endpoints);
      this.counter = counter;
    }

    @Override
    int pick(long hash, boolean hasHash, long nowNanos, RandomSource random) {
      return (counter.getAndIncrement() & Integer.MAX_VALUE) % endpoints.length;
    }

    @Override
    boolean advancesSharedCursor() {
      return true;
    }
  }

  /**
   * Smooth weighted round robin (nginx's algorithm), unrolled at build time into one period of
   * the schedule so that a pick is one counter increment and one array read. Smoothness: no
   * endpoint gets more than its share plus one of any run of consecutive picks. The period is at
   * most {@link #MAX_PERIOD}; larger weight sums are scaled down (each weight stays at least 1).
   */
  static final class WeightedRoundRobin extends Picker {
    static final int MAX_PERIOD = 8192;
    private final int[] schedule;
    private final PaddedCounter counter;

    WeightedRoundRobin(EndpointState[] endpoints, PaddedCounter counter) {
      super(endpoints);
      this.counter = counter;
      this.schedule = schedule(weights(endpoints));
    }

    private static int[] weights(EndpointState[] endpoints) {
      int[] w = new int[endpoints.length];
      long sum = 0;
      for (int i = 0; i < w.length; i++) {
        w[i] = endpoints[i].weight();
        sum += w[i];
      }
      if (sum > MAX_PERIOD) {
        double scale = (double) MAX_PERIOD / sum;
        for (int i = 0; i < w.length; i++) {
          w[i] = Math.max(1, (int) Math.round(w[i] * scale));
        }
      }
      int g = 0;
      for (int x : w) {
        g = gcd(g, x);
      }
      for (int i = 0; i < w.length; i++) {
        w[i] /= g;
      }
      return w;
    }

    private static int gcd(int a, int b) {
      return b == 0 ? a : gcd(b, a % b);
    }

    static int[] schedule(int[] weights) {
      int total = 0;
      for (int w : weights) {
        total += w;
      }
      int[] out = new int[total];
      long[] current = new long[weights.length];
      for (int k = 0; k < total; k++) {
        int best = 0;
        for (int i = 0; i < weights.length; i++) {
          current[i] += weights[i];
          if (current[i] > current[best]) {
            best = i;
          }
        }
        current[best] -= total;
        out[k] = best;
      }
      return out;
    }

    @Override
    int pick(long hash, boolean hasHash, long nowNanos, RandomSource random) {
      return schedule[(counter.getAndIncrement() & Integer.MAX_VALUE) % schedule.length];
    }

    @Override
    boolean advancesSharedCursor() {
      return true;
    }
  }

  /** Power of two choices: two distinct endpoints at random, the one with fewer in flight wins. */
  static final class LeastRequest extends PowerOfTwoChoices {
    LeastRequest(EndpointState[] endpoints) {
      super(endpoints);
    }

    @Override
    boolean better(EndpointState candidate, EndpointState incumbent, long nowNanos) {
      return candidate.inFlight() < incumbent.inFlight();
    }
  }

  /**
   * Power of two choices on peak-EWMA latency × (in flight + 1), as in Finagle's {@code
   * P2CPeakEwma} and Linkerd: slow endpoints lose most pairings at once, and recover as their
   * latency estimate decays while unused.
   */
  static final class P2cPeakEwma extends PowerOfTwoChoices {
    private final double tauNanos;

    P2cPeakEwma(EndpointState[] endpoints, double tauNanos) {
      super(endpoints);
      this.tauNanos = tauNanos;
    }

    @Override
    boolean better(EndpointState candidate, EndpointState incumbent, long nowNanos) {
      return candidate.cost(nowNanos, tauNanos) < incumbent.cost(nowNanos, tauNanos);
    }
  }

  /**
   * Consistent hashing (Karger et al.) on a ring of virtual nodes, in proportion to weight, as in
   * Envoy's {@code RING_HASH}. A key keeps its endpoint while that endpoint stays; when one of N
   * endpoints joins or leaves, about 1/N of keys move. Requests without the hash header are spread
   * at random.
   */
  static final class RingHash extends Picker {
    /** The most points a ring holds, whatever the endpoint count (12 bytes each). */
    static final int MAX_POINTS = 1 << 20;

    private final long[] points;
    private final int[] owners;

    RingHash(EndpointState[] endpoints, int ringSize) {
      super(endpoints);
      // An endpoint's virtual nodes depend on its weight relative to the heaviest, not on how
      // many endpoints there are: then a join or leave moves only the keys of the endpoint that
      // came or went. Dividing one fixed ring size among N would shrink every endpoint's set of
      // points on a join and move keys between endpoints that stayed.
      int maxWeight = 1;
      for (EndpointState e : endpoints) {
        maxWeight = Math.max(maxWeight, e.weight());
      }
      double perWeight = (double) ringSize / maxWeight;
      long wanted = 0;
      for (EndpointState e : endpoints) {
        wanted += Math.max(1, Math.round(perWeight * e.weight()));
      }
      if (wanted > MAX_POINTS) {
        perWeight *= (double) MAX_POINTS / wanted; // very many endpoints: bound memory instead
      }
      int[] replicas = new int[endpoints.length];
      int count = 0;
      for (int i = 0; i < endpoints.length; i++) {
        replicas[i] = (int) Math.max(1, Math.round(perWeight * endpoints[i].weight()));
        count += replicas[i];
      }
      // Sort (point, owner) pairs without boxing: each point's index rides in its low bits (the
      // ring keeps the top 64 - indexBits >= 40 bits of each hash, plenty to place keys), and
      // flipping the sign bit makes the signed sort an unsigned one. A ring of N * ringSize
      // points is rebuilt on every health change, so this path must stay cheap.
      int indexBits = count <= 1 ? 1 : 32 - Integer.numberOfLeadingZeros(count - 1);
      long mask = (1L << indexBits) - 1;
      long[] packed = new long[count];
      int[] ownerOf = new int[count];
      int k = 0;
      for (int i = 0; i < endpoints.length; i++) {
        for (int r = 0; r < replicas[i]; r++) {
          packed[k] = ((Hashing.hash(endpoints[i].address, r) & ~mask) | k) ^ Long.MIN_VALUE;
          ownerOf[k] = i;
          k++;
        }
      }
      Arrays.sort(packed);
      this.points = new long[count];
      this.owners = new int[count];
      for (int j = 0; j < count; j++) {
        long p = packed[j] ^ Long.MIN_VALUE;
        points[j] = p & ~mask;
        owners[j] = ownerOf[(int) (p & mask)];
      }
    }

    @Override
    int pick(long hash, boolean hasHash, long nowNanos, RandomSource random) {
      if (!hasHash) {
        return random.nextInt(endpoints.length);
      }
      return owners[ringIndex(hash)];
    }

    /** The first point at or after {@code hash}, wrapping. */
    private int ringIndex(long hash) {
      int lo = 0;
      int hi = points.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (Long.compareUnsigned(points[mid], hash) < 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo == points.length ? 0 : lo;
    }

    /** The next distinct owner after the key's, for retries that must avoid an endpoint. */
    int next(long hash, int skip) {
      int start = ringIndex(hash);
      for (int j = 1; j < points.length; j++) {
        int owner = owners[(start + j) % points.length];
        if (owner != skip) {
          return owner;
        }
      }
      return skip;
    }
  }
}
