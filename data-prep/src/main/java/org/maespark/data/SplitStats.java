package org.maespark.data;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one shard (partition) of a split holds: rows per synset, per-channel pixel sums for the
 * mean/std, rejects per stage, and a SHA-256 of its rows in order. Shards combine in partition
 * order, so the dataset digest covers the contents and their order.
 */
record SplitStats(
    int shard,
    long rows,
    Map<String, Long> perSynset,
    long[] sum,
    long[] sumSquares,
    Map<String, Long> rejectsByStage,
    byte[] digest)
    implements Serializable {

  static Iterator<SplitStats> of(int shard, Iterator<Outcome> outcomes, int channels) {
    MessageDigest sha = sha256();
    long rows = 0;
    Map<String, Long> perSynset = new TreeMap<>();
    Map<String, Long> rejects = new TreeMap<>();
    long[] sum = new long[channels];
    long[] sq = new long[channels];
    while (outcomes.hasNext()) {
      Outcome o = outcomes.next();
      if (!o.ok()) {
        rejects.merge(o.reject().stage(), 1L, Long::sum);
        continue;
      }
      rows++;
      perSynset.merge(o.synset(), 1L, Long::sum);
      byte[] p = o.patches();
      for (int i = 0; i < p.length; i += channels) { // channels last
        for (int c = 0; c < channels; c++) {
          int v = p[i + c] & 0xff;
          sum[c] += v;
          sq[c] += v * v;
        }
      }
      byte[] key = o.key().getBytes(StandardCharsets.UTF_8);
      byte[] syn = o.synset().getBytes(StandardCharsets.UTF_8);
      sha.update(
          ByteBuffer.allocate(24)
              .putInt(key.length)
              .putInt(syn.length)
              .putInt(o.label())
              .putInt(o.origWidth())
              .putInt(o.origHeight())
              .putInt(p.length)
              .array());
      sha.update(key);
      sha.update(syn);
      sha.update(p);
    }
    List<SplitStats> one = new ArrayList<>();
    one.add(new SplitStats(shard, rows, perSynset, sum, sq, rejects, sha.digest()));
    return one.iterator();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
