package org.maespark.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one shard (partition) of a split holds: rows per synset, per-channel pixel sums for the
 * mean/std, its rejects, and a SHA-256 of its rows in order. Shards combine in partition order, so
 * the dataset digest covers the contents and their order.
 */
record SplitStats(
    int shard,
    long rows,
    Map<String, Long> perSynset,
    long[] sum,
    long[] sumSquares,
    Map<String, Long> rejectsByStage,
    List<Outcome> rejects,
    byte[] digest)
    implements Serializable {

  /** Accumulates one shard's outcomes in order, as the task produces them. */
  static final class Builder {
    private final int shard;
    private final int channels;
    private final MessageDigest sha = sha256();
    private final Map<String, Long> perSynset = new TreeMap<>();
    private final Map<String, Long> rejectsByStage = new TreeMap<>();
    private final List<Outcome> rejects = new ArrayList<>(); // no pixels: key and reason only
    private final long[] sum;
    private final long[] sq;
    private long rows;

    Builder(int shard, int channels) {
      this.shard = shard;
      this.channels = channels;
      this.sum = new long[channels];
      this.sq = new long[channels];
    }

    void add(Outcome o) {
      if (!o.ok()) {
        rejectsByStage.merge(o.reject().stage(), 1L, Long::sum);
        rejects.add(o);
        return;
      }
      rows++;
      perSynset.merge(o.synset(), 1L, Long::sum);
      byte[] p = o.patches();
      if (channels == 3) {
        addRgb(p);
      } else {
        for (int i = 0; i < p.length; i += channels) { // channels last
          for (int c = 0; c < channels; c++) {
            int v = p[i + c] & 0xff;
            sum[c] += v;
            sq[c] += v * v;
          }
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

    /** The same sums, the channel loop unrolled into locals the JIT keeps in registers. */
    private void addRgb(byte[] p) {
      long r = 0;
      long g = 0;
      long b = 0;
      long rr = 0;
      long gg = 0;
      long bb = 0;
      for (int i = 0; i + 2 < p.length; i += 3) {
        int x = p[i] & 0xff;
        int y = p[i + 1] & 0xff;
        int z = p[i + 2] & 0xff;
        r += x;
        g += y;
        b += z;
        rr += x * x;
        gg += y * y;
        bb += z * z;
      }
      sum[0] += r;
      sum[1] += g;
      sum[2] += b;
      sq[0] += rr;
      sq[1] += gg;
      sq[2] += bb;
    }

    SplitStats build() {
      return new SplitStats(shard, rows, perSynset, sum, sq, rejectsByStage, rejects, sha.digest());
    }
  }

  void write(OutputStream out) throws IOException {
    try (ObjectOutputStream o = new ObjectOutputStream(out)) {
      o.writeObject(this);
    }
  }

  static SplitStats read(InputStream in) throws IOException {
    try (ObjectInputStream o = new ObjectInputStream(in)) {
      return (SplitStats) o.readObject();
    } catch (ClassNotFoundException e) {
      throw new IOException(e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
