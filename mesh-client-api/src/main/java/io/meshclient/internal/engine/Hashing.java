package io.meshclient.internal.engine;

/** 64-bit string hashing for the hash ring, computed over chars without allocating. */
final class Hashing {
  private Hashing() {}

  /** FNV-1a over UTF-16 chars, finished with MurmurHash3's fmix64 for avalanche. */
  static long hash(CharSequence s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0, n = s.length(); i < n; i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return fmix64(h);
  }

  static long hash(String s, int salt) {
    long h = hash(s);
    return fmix64(h ^ (salt * 0x9e3779b97f4a7c15L));
  }

  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
