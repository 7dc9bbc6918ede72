package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fashion-MNIST at its own size (28x28 grey, patch 4, 1 channel): a resize by 1 is the identity, so
 * every stored byte must equal the source PNG's pixel. Read back by DuckDB, not Spark.
 */
class FmnistParquetTest {
  @TempDir Path tmp;

  @Test
  void duckDbSeesTheDocumentedSchemaAndTheSourcePixelsInPatchOrder() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path out = tmp.resolve("fmnist");
    DatasetManifest m =
        DataPrepJobTest.prepare(
            spark,
            PhotoFixture.FMNIST,
            out,
            false,
            "data.image_size=28",
            "data.patch=4",
            "data.channels=1");
    assertEquals(200, m.rows("train"));
    assertEquals(50, m.rows("val"));
    assertEquals(0, m.rejects());
    assertEquals(10, m.classes().size());
    m.splits().get("train").perClass().values().forEach(n -> assertEquals(20L, n));
    assertEquals(49, m.numPatches());

    try (Connection c = DuckDb.connect();
        Statement st = c.createStatement()) {
      String glob = out.resolve("train") + "/*.parquet";
      Map<String, String> schema = new LinkedHashMap<>();
      try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + glob + "')")) {
        while (rs.next()) {
          schema.put(rs.getString("column_name"), rs.getString("column_type"));
        }
      }
      Map<String, String> documented = new LinkedHashMap<>();
      documented.put("key", "VARCHAR");
      documented.put("label", "INTEGER");
      documented.put("synset", "VARCHAR");
      documented.put("height", "INTEGER");
      documented.put("width", "INTEGER");
      documented.put("orig_height", "INTEGER");
      documented.put("orig_width", "INTEGER");
      documented.put("patch", "INTEGER");
      documented.put("patches", "BLOB");
      assertEquals(documented, schema);

      int checked = 0;
      try (ResultSet rs =
          st.executeQuery(
              "SELECT key, label, synset, height, width, orig_height, orig_width, patch, patches"
                  + " FROM read_parquet('"
                  + glob
                  + "')")) {
        while (rs.next()) {
          String key = rs.getString(1);
          String synset = key.split("/")[1];
          assertEquals(synset, rs.getString(3));
          assertEquals(Integer.parseInt(synset.substring(1)), rs.getInt(2), key);
          assertEquals(28, rs.getInt(4));
          assertEquals(28, rs.getInt(5));
          assertEquals(28, rs.getInt(6));
          assertEquals(28, rs.getInt(7));
          assertEquals(4, rs.getInt(8));
          byte[] patches = rs.getBytes(9);
          assertEquals(28 * 28, patches.length);
          BufferedImage src = ImageIO.read(PhotoFixture.FMNIST.resolve(key).toFile());
          byte[] want = new byte[28 * 28];
          src.getRaster().getDataElements(0, 0, 28, 28, want);
          Pixels got = Patchifier.unpatchify(patches, 28, 28, 1, 4);
          assertArrayEquals(want, got.data(), key);
          checked++;
        }
      }
      assertEquals(200, checked);
    }
    double mean = m.mean()[0];
    assertTrue(mean > 0.2 && mean < 0.4, "Fashion-MNIST mean is about 0.29, got " + mean);
  }
}
