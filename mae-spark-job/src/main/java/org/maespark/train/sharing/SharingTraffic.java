package org.maespark.train.sharing;

/**
 * What gradient sharing put on the wire, as counted at the driver, which every worker's update
 * reaches (the root of DL4J's update mesh): the threshold-encoded updates, their bytes (the encoded
 * int32 arrays, without Aeron's framing), and how many model elements they carried.
 *
 * <p>An encoded update is DL4J's int32 array: a four-int header (element count, model length,
 * threshold, encoding) and then either one signed index per element that crossed the threshold
 * (sparse) or 2 bits per model element (bitmap, P/4 bytes whatever crossed; DL4J chooses it when
 * more than about 1/16 of the elements cross). An element "carried" is one that crossed the
 * threshold: a sparse update's index, a bitmap's set flag.
 *
 * @param updates updates received
 * @param bytes their encoded size
 * @param bitmapUpdates how many of them were bitmaps
 * @param elements elements the updates carried
 * @param modelElements model length summed over the updates
 */
public record SharingTraffic(
    long updates, long bytes, long bitmapUpdates, long elements, long modelElements) {

  static final SharingTraffic NONE = new SharingTraffic(0, 0, 0, 0, 0);

  /** Fraction of the model's elements an update carried (NaN without updates). */
  public double density() {
    return modelElements == 0 ? Double.NaN : (double) elements / modelElements;
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
        elements - earlier.elements,
        modelElements - earlier.modelElements);
  }

  @Override
  public String toString() {
    return String.format(
        "%d updates (%d bitmaps), %.3f MB encoded (%.1f kB per update), density %.2e",
        updates, bitmapUpdates, bytes / 1e6, bytesPerUpdate() / 1e3, density());
  }
}
