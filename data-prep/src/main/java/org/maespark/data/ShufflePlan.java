package org.maespark.data;

import java.nio.charset.StandardCharsets;

/**
 * The write-time shuffle: a seeded 64-bit hash of each key decides its shard and its place inside
 * the shard, so the permutation depends only on (seed, key set, shard count), never on listing
 * order, task timing or Spark's sampling.
 */
final class ShufflePlan {
  private ShufflePlan() {}

  /** Seeded FNV-1a over the key's UTF-8 bytes, finished with SplitMix64's mixer. */
  static long sortKey(long seed, String key) {
    long h = 0xcbf29ce484222325L ^ mix(seed);
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return mix(h);
  }

  static int shard(long sortKey, int shards) {
    return (int) ((sortKey >>> 33) % shards);
  }

  /** Shards needed for {@code rows} rows at {@code perShard} rows each (at least one). */
  static int shards(long rows, long perShard) {
    return (int) Math.max(1, (rows + perShard - 1) / perShard);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
