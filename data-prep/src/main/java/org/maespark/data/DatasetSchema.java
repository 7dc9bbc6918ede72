package org.maespark.data;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Column names and types of the dataset (DESIGN.md "Dataset"), shared by the writer and the reader
 * so the two cannot drift apart.
 */
public final class DatasetSchema {
  /** Path relative to the input root, '/'-separated: {@code train/n01440764/x.JPEG}. */
  public static final String KEY = "key";

  /** Class index (position of the synset in sorted order), -1 when unlabeled. */
  public static final String LABEL = "label";

  /** Class folder name ("" when unlabeled). */
  public static final String SYNSET = "synset";

  /** Stored height and width (= image size). */
  public static final String HEIGHT = "height";

  public static final String WIDTH = "width";

  /** Size of the source image as displayed (after EXIF orientation). */
  public static final String ORIG_HEIGHT = "orig_height";

  public static final String ORIG_WIDTH = "orig_width";

  /** Patch side p. */
  public static final String PATCH = "patch";

  /** uint8 bytes [L, p, p, C], L = (H/p)(W/p), patch index = row * (W/p) + col, channels last. */
  public static final String PATCHES = "patches";

  /** Rows of the rejects table: source path relative to the input root, stage, reason. */
  public static final String REJECT_KEY = "path";

  public static final String REJECT_STAGE = "stage";
  public static final String REJECT_REASON = "reason";

  /** Schema of train/ and val/ rows. */
  public static final StructType ROWS =
      new StructType(
          new StructField[] {
            field(KEY, DataTypes.StringType),
            field(LABEL, DataTypes.IntegerType),
            field(SYNSET, DataTypes.StringType),
            field(HEIGHT, DataTypes.IntegerType),
            field(WIDTH, DataTypes.IntegerType),
            field(ORIG_HEIGHT, DataTypes.IntegerType),
            field(ORIG_WIDTH, DataTypes.IntegerType),
            field(PATCH, DataTypes.IntegerType),
            field(PATCHES, DataTypes.BinaryType)
          });

  /** Schema of rejects/ rows (plus the split the file was listed under). */
  public static final StructType REJECTS =
      new StructType(
          new StructField[] {
            field(REJECT_KEY, DataTypes.StringType),
            field("split", DataTypes.StringType),
            field(REJECT_STAGE, DataTypes.StringType),
            field(REJECT_REASON, DataTypes.StringType)
          });

  private DatasetSchema() {}

  private static StructField field(String name, org.apache.spark.sql.types.DataType type) {
    return new StructField(name, type, false, Metadata.empty());
  }
}
