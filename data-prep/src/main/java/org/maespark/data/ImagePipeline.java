package org.maespark.data;

/**
 * Everything done to one image file: decode, match the configured channels, resize the shorter
 * side, centre-crop, patchify. No Spark here; one instance per task.
 */
public final class ImagePipeline {
  private final DataPrepConfig config;
  private final ImageDecoder decoder;

  public ImagePipeline(DataPrepConfig config) {
    this.config = config;
    this.decoder = ImageDecoder.of(config);
  }

  /** One prepared image: patches [L, p, p, C] uint8 and the original (displayed) size. */
  public record Prepared(byte[] patches, int origWidth, int origHeight) {}

  public Prepared prepare(byte[] file) throws RejectException {
    if (file.length > (long) config.maxFileMib() << 20) {
      throw new RejectException(
          "size",
          "file is " + file.length + " bytes, above data.max_file_mib=" + config.maxFileMib());
    }
    ImageDecoder.Decoded d = decoder.decode(file);
    Pixels px = d.pixels();
    if (config.channels() == 1 && px.channels() == 3) {
      px = Channels.toGrey(px); // before resizing, as PIL's convert("L") then resize
    }
    Pixels stored = ResizeCrop.apply(px, config.imageSize());
    if (config.channels() == 3 && stored.channels() == 1) {
      stored = Channels.toRgb(stored); // identical to expanding first: resize is per channel
    }
    return new Prepared(Patchifier.patchify(stored, config.patch()), d.origWidth(), d.origHeight());
  }
}
