package org.maespark.data;

import java.io.Serializable;

/**
 * What became of one listed file: a prepared row ({@code patches} set) or a reject.
 *
 * @param patches uint8 [L, p, p, C], null when rejected
 */
record Outcome(
    String key,
    String split,
    String synset,
    int label,
    byte[] patches,
    int origWidth,
    int origHeight,
    Reject reject)
    implements Serializable {

  boolean ok() {
    return reject == null;
  }
}
