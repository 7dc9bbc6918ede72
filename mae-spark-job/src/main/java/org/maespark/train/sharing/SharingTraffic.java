package org.maespark.train.sharing;

/**
 * What gradient sharing put on the wire, as counted at the driver, which every worker's update
 * reaches (the root of DL4J's update mesh): the threshold-encoded updates, their bytes (the encoded
 * int32 arrays, without Aeron's framing), and how many model elements the sparse ones carried.
 *
 * <p>An encoded update is DL4J's int32 array: a four-int header (element count, model length,
 * threshold, encoding) and then either one signed index per element that crossed the threshold
 * (sparse) or 2 bits per model element (bitmap, chosen when more than about 1/16 of the elements
 * cross). {@link #density()} is over the sparse updates only: a bitmap's element count is not in
 * its header, and {@link #bitmapUpdates()} says how many there were.
 *
 * @param updates updates received
 * @param bytes their encoded size
 * @param bitmapUpdates how many of them were bitmaps
 * @param sparseElements elements carried by the sparse ones
 * @param sparseModelElements model length summed over the sparse ones
 */
public record SharingTraffic(
    long updates, long bytes, long bitmapUpdates, long sparseElements, long sparseModelElements) {

  static final SharingTraffic NONE = new SharingTraffic(0, 0, 0, 0, 0);

  /** Fraction of the model's elements a sparse update carried (NaN without sparse updates). */
  public double density() {
    return sparseModelElements == 0 ? Double.NaN : (double) sparseElements / sparseModelElements;
  }

  /** Mean encoded bytes per update (NaN without updates). */
  public double bytesPerUpdate() {
    return updates == 0 ? Double.NaN : (double) bytes / updates;
  }

  /** The traffic between {@code earlier} and this reading. */
  public SharingTraffic since(SharingTraffic earlier) {
    return new SharingTraffic(
        updates - earlier.updates,
        bytes - earlier.bytes,
        bitmapUpdates - earlier.bitmapUpdates,
        sparseElements - earlier.sparseElements,
        sparseModelElements - earlier.sparseModelElements);
  }

  @Override
  public String toString() {
    long sparse = updates - bitmapUpdates;
    String what =
        sparse == 0
            ? updates == 0 ? "" : ", all bitmaps"
            : String.format(", density %.2e", density())
                + (bitmapUpdates == 0
                    ? ""
                    : " in the " + sparse + " sparse ones, " + bitmapUpdates + " bitmaps");
    return String.format(
        "%d updates, %.3f MB encoded (%.1f kB per update)%s",
        updates, bytes / 1e6, bytesPerUpdate() / 1e3, what);
  }
}
