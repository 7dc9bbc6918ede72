package org.maespark.train.sharing;

/**
 * JVM properties Aeron reads when DL4J starts its embedded media driver; set (unless the user set
 * them) on the driver before the master launches and in each training task before DL4J's worker.
 */
final class AeronSettings {
  private AeronSettings() {}

  static void apply() {
    // Java 17 + Aeron 1.39: the default is below DL4J's client liveness timeout of 30 s and the
    // media driver refuses to start ("publicationUnblockTimeoutNs ... <= clientLivenessTimeoutNs")
    setIfAbsent("aeron.publication.unblock.timeout", "60000000000");
    // every transport starts its own media driver in /dev/shm/aeron-<user>-<uuid>; without this
    // each one leaves its directory (up to ~0.6 GB) behind, even on a clean shutdown
    setIfAbsent("aeron.dir.delete.on.shutdown", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
