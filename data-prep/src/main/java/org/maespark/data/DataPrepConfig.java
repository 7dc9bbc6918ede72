package org.maespark.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

/**
 * Everything data-prep can be told, read from the {@code data.*} keys. Immutable; validated when
 * built, so a bad value fails before Spark starts.
 *
 * @param imageSize stored height = width in pixels (data.image_size, 256; a multiple of patch)
 * @param patch patch side p (data.patch, 16)
 * @param channels 3 = RGB, 1 = grey (ITU-R 601 luma, as PIL's convert("L")) (data.channels, 3)
 * @param layout auto | splits (root/split/class/file) | classes (root/class/file, all "train") |
 *     unlabeled (every image under root, "train", label -1) (data.layout, auto)
 * @param splits split folder names read in the splits layout (data.splits, train,val)
 * @param extensions lower-case file name endings that are images; other files become rejects
 *     (data.extensions, jpeg,jpg,png)
 * @param minSide images whose shorter side is below this are rejected as too small (data.min_side,
 *     8)
 * @param decodeOversample decode huge images subsampled by the largest integer factor that keeps
 *     the shorter side at least this many times image_size (data.decode_oversample, 4)
 * @param maxDecodePixels hard cap on decoded pixels per image, reached by subsampling; bounds
 *     executor memory (data.max_decode_pixels, 16777216)
 * @param decoder auto | turbojpeg (libjpeg-turbo via JNA, needs libturbojpeg installed) | imageio
 *     (TwelveMonkeys + JDK, pure Java); auto = turbojpeg where it loads (data.decoder, auto)
 * @param maxFileMib files larger than this are rejected unread (data.max_file_mib, 64)
 * @param seed seed of the write-time shuffle (data.seed, 0)
 * @param shardMib target Parquet shard size (data.shard_mib, 128)
 * @param compression Parquet codec of the shards: snappy (saves ~16% on photos), zstd, gzip or none
 *     (data.parquet_compression, snappy)
 * @param shardRows rows per shard instead of a size; 0 = derive from shard_mib (data.shard_rows, 0)
 * @param valLabels labels of a flat val/ folder: URI of a LOC_val_solution.csv (ends in .csv) or of
 *     the official ILSVRC2012_devkit_t12 folder; empty or auto = whichever of the two is in the
 *     input root, both must agree when both are (data.val_labels, empty; see ValLabels)
 * @param failOnKey testing only: a task throws on the image whose key ends with this, to prove a
 *     failed run publishes nothing (data.fail_on_key, empty = never)
 */
public record DataPrepConfig(
    int imageSize,
    int patch,
    int channels,
    String layout,
    List<String> splits,
    List<String> extensions,
    int minSide,
    int decodeOversample,
    long maxDecodePixels,
    String decoder,
    int maxFileMib,
    long seed,
    int shardMib,
    String compression,
    int shardRows,
    String valLabels,
    String failOnKey)
    implements java.io.Serializable {

  public DataPrepConfig {
    require(imageSize > 0, "data.image_size", imageSize, "a positive size");
    require(patch > 0, "data.patch", patch, "a positive size");
    require(imageSize % patch == 0, "data.image_size", imageSize, "a multiple of data.patch");
    require(channels == 1 || channels == 3, "data.channels", channels, "1 or 3");
    require(
        List.of("auto", "splits", "classes", "unlabeled").contains(layout),
        "data.layout",
        layout,
        "auto, splits, classes or unlabeled");
    require(!splits.isEmpty(), "data.splits", splits, "at least one split name");
    require(!extensions.isEmpty(), "data.extensions", extensions, "at least one extension");
    require(minSide >= 1, "data.min_side", minSide, ">= 1");
    require(decodeOversample >= 1, "data.decode_oversample", decodeOversample, ">= 1");
    require(
        maxDecodePixels >= (long) imageSize * imageSize,
        "data.max_decode_pixels",
        maxDecodePixels,
        ">= image_size^2");
    require(
        List.of("auto", "turbojpeg", "imageio").contains(decoder),
        "data.decoder",
        decoder,
        "auto, turbojpeg or imageio");
    require(maxFileMib >= 1, "data.max_file_mib", maxFileMib, ">= 1");
    require(shardMib >= 1, "data.shard_mib", shardMib, ">= 1");
    require(
        List.of("snappy", "zstd", "gzip", "none").contains(compression),
        "data.parquet_compression",
        compression,
        "snappy, zstd, gzip or none");
    require(shardRows >= 0, "data.shard_rows", shardRows, ">= 0");
    splits = List.copyOf(splits);
    extensions = List.copyOf(extensions);
  }

  /** Defaults for everything. */
  public static DataPrepConfig defaults() {
    return fromSettings(Settings.empty());
  }

  /** Reads the {@code data.*} keys (file &lt; command line), defaults for the rest. */
  public static DataPrepConfig fromSettings(Settings s) {
    return new DataPrepConfig(
        s.getInt("data.image_size", 256),
        s.getInt("data.patch", 16),
        s.getInt("data.channels", 3),
        s.getString("data.layout", "auto"),
        list(s.getString("data.splits", "train,val")),
        list(s.getString("data.extensions", "jpeg,jpg,png").toLowerCase(Locale.ROOT)),
        s.getInt("data.min_side", 8),
        s.getInt("data.decode_oversample", 4),
        s.getLong("data.max_decode_pixels", 16L << 20),
        s.getString("data.decoder", "auto"),
        s.getInt("data.max_file_mib", 64),
        s.getLong("data.seed", 0),
        s.getInt("data.shard_mib", 128),
        s.getString("data.parquet_compression", "snappy"),
        s.getInt("data.shard_rows", 0),
        s.getString("data.val_labels", ""),
        s.getString("data.fail_on_key", ""));
  }

  /** This config with "auto" settled to the decoder that loads here (see ImageDecoder#resolve). */
  public DataPrepConfig withResolvedDecoder() {
    return new DataPrepConfig(
        imageSize,
        patch,
        channels,
        layout,
        splits,
        extensions,
        minSide,
        decodeOversample,
        maxDecodePixels,
        ImageDecoder.resolve(decoder),
        maxFileMib,
        seed,
        shardMib,
        compression,
        shardRows,
        valLabels,
        failOnKey);
  }

  /** Rows per Parquet shard: shard_rows, or shard_mib over the size of one row. */
  public long rowsPerShard() {
    long rowBytes = patchBytes() + 128L; // patches plus key, ints and Parquet overhead
    return shardRows > 0 ? shardRows : Math.max(1, ((long) shardMib << 20) / rowBytes);
  }

  /** Patches per image, L = (image_size / patch)^2. */
  public int numPatches() {
    int g = imageSize / patch;
    return g * g;
  }

  /** Bytes of the {@code patches} column per row: L * p * p * C = image_size^2 * C. */
  public int patchBytes() {
    return imageSize * imageSize * channels;
  }

  private static List<String> list(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new ConfigException("config key '" + key + "' = '" + value + "': expected " + expected);
    }
  }
}
