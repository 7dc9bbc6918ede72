package org.maespark.data;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a prepared dataset: what it holds and how it was made.
 *
 * @param formatVersion layout version of the dataset ({@link #FORMAT_VERSION})
 * @param createdBy "mae-spark data-prep"
 * @param source input URI the dataset was built from
 * @param layout how the input tree was read: splits, classes or unlabeled
 * @param imageSize stored height = width
 * @param patch patch side p
 * @param channels 3 (RGB) or 1 (grey)
 * @param numPatches L = (image_size / p)^2
 * @param classes synsets by class index (sorted order, as torchvision's ImageFolder)
 * @param splits per split: rows, rows per synset, shard files
 * @param mean per-channel mean of train pixels / 255 (RGB order)
 * @param std per-channel standard deviation of train pixels / 255
 * @param inputFiles files listed under the input's splits (= rows of all splits + rejects)
 * @param rejects files that did not become rows (see rejects/)
 * @param rejectsByStage rejects per stage (list, label, read, decode, truncated, size)
 * @param seed seed of the write-time shuffle
 * @param config the resolved data.* configuration
 * @param digest sha256 over every row (key, label, synset, original size, patches) in order
 * @param valLabels the label source of files directly under a split folder (flat val/), null when
 *     none was read
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record DatasetManifest(
    @JsonProperty("format_version") int formatVersion,
    @JsonProperty("created_by") String createdBy,
    @JsonProperty("source") String source,
    @JsonProperty("layout") String layout,
    @JsonProperty("image_size") int imageSize,
    @JsonProperty("patch") int patch,
    @JsonProperty("channels") int channels,
    @JsonProperty("num_patches") int numPatches,
    @JsonProperty("classes") List<String> classes,
    @JsonProperty("splits") Map<String, Split> splits,
    @JsonProperty("mean") double[] mean,
    @JsonProperty("std") double[] std,
    @JsonProperty("input_files") long inputFiles,
    @JsonProperty("rejects") long rejects,
    @JsonProperty("rejects_by_stage") Map<String, Long> rejectsByStage,
    @JsonProperty("seed") long seed,
    @JsonProperty("config") Map<String, String> config,
    @JsonProperty("digest") String digest,
    @JsonProperty("val_labels") LabelSource valLabels) {

  /** Version of the dataset layout this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  public static final String FILE = "manifest.json";

  /**
   * One split.
   *
   * @param rows rows in this split
   * @param perClass rows per synset ("" = unlabeled)
   * @param shards Parquet files of this split, in shuffled order, with their row counts
   */
  public record Split(
      @JsonProperty("rows") long rows,
      @JsonProperty("per_class") Map<String, Long> perClass,
      @JsonProperty("shards") List<Shard> shards) {}

  /**
   * Where the synsets of a flat split folder came from, and what it names that was not listed: a
   * label file for another copy of the data shows here instead of passing silently.
   *
   * @param source the file(s) read (LOC_val_solution.csv, or the devkit's ground truth + meta.mat)
   * @param entries image ids the source labels
   * @param withoutFile ids it labels for which no file lies directly under a split folder
   * @param withoutFileSample the first of those ids, in sorted order (at most 10)
   */
  public record LabelSource(
      @JsonProperty("source") String source,
      @JsonProperty("entries") long entries,
      @JsonProperty("without_file") long withoutFile,
      @JsonProperty("without_file_sample") List<String> withoutFileSample) {}

  /** One Parquet file of a split: name relative to the split folder, rows in it. */
  public record Shard(@JsonProperty("file") String file, @JsonProperty("rows") long rows) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public void write(OutputStream out) throws IOException {
    JSON.writeValue(out, this);
  }

  public static DatasetManifest read(InputStream in) throws IOException {
    return JSON.readValue(in, DatasetManifest.class);
  }

  /** Rows of {@code split}, 0 when the dataset has no such split. */
  public long rows(String split) {
    Split s = splits.get(split);
    return s == null ? 0 : s.rows();
  }
}
