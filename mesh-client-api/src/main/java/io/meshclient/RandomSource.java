package io.meshclient;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Randomness for picks, weighted splits and jitter, injected so tests can be seeded. Implementations
 * must be thread-safe and must not allocate.
 */
public interface RandomSource {

  /** A uniformly distributed int in {@code [0, bound)}; {@code bound > 0}. */
  int nextInt(int bound);

  /** A uniformly distributed long in {@code [0, bound)}; {@code bound > 0}. */
  long nextLong(long bound);

  /** {@link ThreadLocalRandom}: fast and uncontended. The default. */
  static RandomSource threadLocal() {
    return ThreadLocalRandomSource.INSTANCE;
  }

  /**
   * A deterministic, thread-safe source (SplitMix64 over one atomic counter) for tests: the same
   * seed gives the same sequence when called from one thread.
   */
  static RandomSource seeded(long seed) {
    return new SeededRandomSource(seed);
  }
}

enum ThreadLocalRandomSource implements RandomSource {
  INSTANCE;

  @Override
  public int nextInt(int bound) {
    return ThreadLocalRandom.current().nextInt(bound);
  }

  @Override
  public long nextLong(long bound) {
    return ThreadLocalRandom.current().nextLong(bound);
  }
}

final class SeededRandomSource implements RandomSource {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
  private final AtomicLong state;

  SeededRandomSource(long seed) {
    this.state = new AtomicLong(seed);
  }

  private long next() {
    long z = state.addAndGet(GOLDEN_GAMMA);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  @Override
  public int nextInt(int bound) {
    // Lemire's multiply-shift: unbiased enough for picks and jitter, no division.
    return (int) (((next() >>> 32) * bound) >>> 32);
  }

  @Override
  public long nextLong(long bound) {
    return Math.floorMod(next() >>> 1, bound);
  }
}
