package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.conf.Settings;

/** The whole job on the real photo tree: every file accounted for, pixels as Pillow sees them. */
class DataPrepJobTest {
  private static final String[] SMALL_SHARDS = {"data.image_size=64", "data.shard_rows=5"};

  @TempDir Path tmp;

  private final SparkSession spark = SparkTestSession.get();

  static DatasetManifest prepare(
      SparkSession spark, Path input, Path output, boolean overwrite, String... overrides) {
    return prepare(spark, input.toString(), output.toString(), overwrite, overrides);
  }

  static DatasetManifest prepare(
      SparkSession spark, String input, String output, boolean overwrite, String... overrides) {
    Settings s = Settings.load(null, List.of(overrides));
    DataPrepConfig config = DataPrepConfig.fromSettings(s);
    s.requireAllKnown();
    return new DataPrepJob(spark, config, s.values()).run(input, output, overwrite);
  }

  @Test
  void photoTreeEveryFileBecomesARowLikePillowOrARejectWithReason() throws Exception {
    Path out = tmp.resolve("photos-ds");
    DatasetManifest m = prepare(spark, PhotoFixture.ROOT, out, false);

    List<PhotoFixture.Expected> expected = PhotoFixture.expected();
    assertEquals(expected.size(), m.inputFiles(), "every file listed");
    assertEquals(
        List.of("n00000001", "n00000002", "n00000003", "n00000004", "n00000005", "n00000006"),
        m.classes());
    assertEquals("splits", m.layout());
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    assertEquals(m.digest(), Files.readString(out.resolve("_SUCCESS")).trim());

    DatasetReader reader = DatasetReader.open(spark, out.toString()).require(256, 16, 3);
    Map<String, Row> rows = new HashMap<>();
    for (String split : List.of("train", "val")) {
      for (Row r : reader.split(split).collectAsList()) {
        rows.put(r.getString(0), r);
        assertEquals(split, r.getString(0).split("/")[0]);
      }
      assertEquals(m.rows(split), reader.split(split).count());
    }
    Map<String, Row> rejects =
        reader.rejects().collectAsList().stream()
            .collect(Collectors.toMap(r -> r.getString(0), r -> r));
    assertEquals(m.rejects(), rejects.size());
    assertEquals(expected.size(), rows.size() + rejects.size(), "rows + rejects == input files");

    for (PhotoFixture.Expected e : expected) {
      boolean tooSmall = e.pilOk() && Math.min(e.width(), e.height()) < 8;
      if (!e.pilOk() || tooSmall) {
        Row r = rejects.get(e.path());
        assertTrue(r != null, e.path() + " (" + e.kind() + ") should be a reject");
        Set<String> stages = tooSmall ? Set.of("size") : Set.of("read", "decode", "truncated");
        assertTrue(stages.contains(r.getString(2)), e.path() + " stage " + r.getString(2));
        assertFalse(r.getString(3).isBlank());
        continue;
      }
      Row r = rows.get(e.path());
      assertTrue(r != null, e.path() + " (" + e.kind() + ") should be a row");
      String synset = e.path().split("/")[1];
      assertEquals(synset, r.getString(2));
      assertEquals(m.classes().indexOf(synset), r.getInt(1));
      assertEquals(256, r.getInt(3));
      assertEquals(256, r.getInt(4));
      assertEquals(e.height(), r.getInt(5), e.path());
      assertEquals(e.width(), r.getInt(6), e.path());
      assertEquals(16, r.getInt(7));
      Pixels img = Patchifier.unpatchify((byte[]) r.get(8), 256, 256, 3, 16);
      double d = PhotoFixture.maxAbsDiff(PhotoFixture.blockMeans(img, 32), e.blockMeans());
      assertTrue(d <= (e.kind().equals("huge_original") ? 0.5 : 0.002), e.path() + " diff " + d);
    }
    long trainRows = m.rows("train");
    assertEquals(
        trainRows, m.splits().get("train").perClass().values().stream().mapToLong(x -> x).sum());
    for (int c = 0; c < 3; c++) {
      assertTrue(m.mean()[c] > 0.2 && m.mean()[c] < 0.8, "mean " + m.mean()[c]);
      assertTrue(m.std()[c] > 0.1 && m.std()[c] < 0.45, "std " + m.std()[c]);
    }
  }

  @Test
  void sameInputAndConfigGiveTheSameRowsInTheSameOrderAndDigest() throws Exception {
    // several shards, so the order across files counts too
    DatasetManifest a = prepare(spark, PhotoFixture.ROOT, tmp.resolve("a"), false, SMALL_SHARDS);
    DatasetManifest b = prepare(spark, PhotoFixture.ROOT, tmp.resolve("b"), false, SMALL_SHARDS);
    assertEquals(a.digest(), b.digest());
    assertEquals(a.splits().get("train").shards(), b.splits().get("train").shards());
    assertTrue(a.splits().get("train").shards().size() >= 4, "" + a.splits().get("train").shards());
    List<String> keysA = DuckDb.keysInFileOrder(tmp.resolve("a/train"));
    assertEquals(keysA, DuckDb.keysInFileOrder(tmp.resolve("b/train")));
    assertEquals(a.rows("train"), keysA.size());
    assertFalse(keysA.equals(keysA.stream().sorted().toList()), "rows are shuffled");

    DatasetManifest c =
        prepare(
            spark,
            PhotoFixture.ROOT,
            tmp.resolve("c"),
            false,
            "data.image_size=64",
            "data.shard_rows=5",
            "data.seed=7");
    assertFalse(a.digest().equals(c.digest()), "another seed, another order");
    assertEquals(Set.copyOf(keysA), Set.copyOf(DuckDb.keysInFileOrder(tmp.resolve("c/train"))));
  }

  @Test
  void aFailedRunLeavesNothingThatLooksCompleteAndKeepsTheOldDataset() throws Exception {
    Path out = tmp.resolve("ds");
    String victim = "n00000003_2.JPEG";
    assertThrows(
        Exception.class,
        () -> prepare(spark, PhotoFixture.ROOT, out, false, "data.fail_on_key=" + victim));
    assertFalse(Files.exists(out), "no partial dataset at the output path");
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList(), "staging removed");
    }

    DatasetManifest first = prepare(spark, PhotoFixture.ROOT, out, false, "data.image_size=64");
    IllegalArgumentException exists =
        assertThrows(
            IllegalArgumentException.class,
            () -> prepare(spark, PhotoFixture.ROOT, out, false, "data.image_size=64"));
    assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());

    assertThrows(
        Exception.class,
        () ->
            prepare(
                spark,
                PhotoFixture.ROOT,
                out,
                true,
                "data.image_size=64",
                "data.fail_on_key=" + victim));
    assertEquals(
        first.digest(),
        DatasetReader.open(spark, out.toString()).manifest().digest(),
        "old dataset intact");
    assertTrue(Files.exists(out.resolve("_SUCCESS")));

    DatasetManifest replaced =
        prepare(spark, PhotoFixture.ROOT, out, true, "data.image_size=32", "data.patch=8");
    assertEquals(32, DatasetReader.open(spark, out.toString()).manifest().imageSize());
    assertEquals(replaced.digest(), Files.readString(out.resolve("_SUCCESS")).trim());
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(out), left.toList(), "no staging or replaced folders left");
    }
  }

  @Test
  void readerRefusesIncompleteOrMismatchedDatasetsNamingTheField() throws Exception {
    Path out = tmp.resolve("small");
    prepare(spark, PhotoFixture.ROOT, out, false, "data.image_size=32", "data.patch=8");
    IllegalArgumentException patch =
        assertThrows(
            IllegalArgumentException.class,
            () -> DatasetReader.open(spark, out.toString()).require(32, 16, 3));
    assertTrue(patch.getMessage().contains("'patch' = 8, expected 16"), patch.getMessage());
    IllegalArgumentException chans =
        assertThrows(
            IllegalArgumentException.class,
            () -> DatasetReader.open(spark, out.toString()).require(32, 8, 1));
    assertTrue(chans.getMessage().contains("'channels' = 3, expected 1"), chans.getMessage());

    String json = Files.readString(out.resolve("manifest.json"));
    Files.delete(out.resolve(".manifest.json.crc")); // the local filesystem checksums each file
    Files.writeString(
        out.resolve("manifest.json"),
        json.replace("\"format_version\" : 1", "\"format_version\" : 99"));
    IllegalArgumentException version =
        assertThrows(
            IllegalArgumentException.class, () -> DatasetReader.open(spark, out.toString()));
    assertTrue(
        version.getMessage().contains("'format_version' = 99, expected 1"), version.getMessage());

    Files.delete(out.resolve("_SUCCESS"));
    IllegalArgumentException incomplete =
        assertThrows(
            IllegalArgumentException.class, () -> DatasetReader.open(spark, out.toString()));
    assertTrue(incomplete.getMessage().contains("no _SUCCESS"), incomplete.getMessage());
  }

  @Test
  void readerRefusesAShardWithWrongColumnTypes() throws Exception {
    Path out = tmp.resolve("small");
    DatasetManifest m =
        prepare(spark, PhotoFixture.ROOT, out, false, "data.image_size=32", "data.patch=8");
    Path shard = out.resolve("val").resolve(m.splits().get("val").shards().get(0).file());
    Files.delete(shard);
    Files.deleteIfExists(shard.resolveSibling("." + shard.getFileName() + ".crc"));
    spark
        .sql(
            "select 'k' as key, 'x' as label, 's' as synset, 1 as height, 1 as width,"
                + " 1 as orig_height, 1 as orig_width, 1 as patch, X'00' as patches")
        .coalesce(1)
        .write()
        .parquet(tmp.resolve("bad").toString());
    try (Stream<Path> files = Files.list(tmp.resolve("bad"))) {
      Path part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.copy(part, shard);
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DatasetReader.open(spark, out.toString()).split("val"));
    assertTrue(
        e.getMessage().contains("column 'label' has type string, expected int"), e.getMessage());
  }
}
