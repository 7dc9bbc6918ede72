package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input that yields no usable row, in all or in one split, ends with one line and no dataset.
 */
class UnusableInputTest {
  @TempDir Path tmp;
  private String err;

  private int prep(Path in, Path out) {
    SparkTestSession.get(); // the shared session: the command reuses it
    StringWriter e = new StringWriter();
    int rc =
        DataPrepMain.run(
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(e, true),
            "--input",
            in.toString(),
            "--output",
            out.toString(),
            "--set",
            "data.image_size=28",
            "--set",
            "data.patch=4",
            "--set",
            "data.channels=1");
    err = e.toString().strip();
    return rc;
  }

  private static void garbage(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "not a picture");
  }

  private void assertNothingPublished(Path out) throws Exception {
    assertTrue(Files.notExists(out), "nothing published at " + out);
    try (Stream<Path> s = Files.list(tmp)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("staging")), "staging left");
    }
  }

  @Test
  void everyFileRejectedExitsOneNamingTheCounts() throws Exception {
    Path in = tmp.resolve("imgs");
    garbage(in.resolve("train/n01/a.png"));
    garbage(in.resolve("train/n01/b.png"));
    garbage(in.resolve("val/n01/c.png"));
    Path out = tmp.resolve("ds");
    assertEquals(1, prep(in, out), err);
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains("no usable images under file:" + in), err);
    assertTrue(err.contains("3 files, all rejected (decode: 3)"), err);
    assertNothingPublished(out);
  }

  @Test
  void aNeededSplitWithoutRowsIsRefused() throws Exception {
    Path in = tmp.resolve("imgs");
    Path good = in.resolve("train/n00000000/a.png");
    Files.createDirectories(good.getParent());
    try (Stream<Path> s = Files.list(PhotoFixture.FMNIST.resolve("train/n00000000"))) {
      Files.copy(s.sorted().findFirst().orElseThrow(), good);
    }
    garbage(in.resolve("val/n00000000/c.png"));
    Path out = tmp.resolve("ds");
    assertEquals(1, prep(in, out), err);
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains("no usable images in split 'val' under"), err);
    assertTrue(err.contains("2 files, 1 rejected (decode: 1)"), err);
    assertNothingPublished(out);
  }
}
