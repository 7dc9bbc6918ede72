package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * data-prep never writes into, onto or around its input, and {@code --overwrite} replaces only a
 * data-prep dataset: every spelling of the input folder is refused, and a user's folder survives.
 */
class OutputGuardTest {
  @TempDir Path tmp;
  private Path images;
  private Path picture;
  private String err;

  @BeforeEach
  void userTree() throws Exception {
    images = tmp.resolve("imgs");
    picture = images.resolve("train/cat/a.png");
    Files.createDirectories(picture.getParent());
    Files.write(picture, new byte[] {1, 2, 3});
  }

  private int run(String... args) {
    StringWriter e = new StringWriter();
    int code =
        DataPrepMain.run(new PrintWriter(new StringWriter(), true), new PrintWriter(e, true), args);
    err = e.toString().strip();
    return code;
  }

  private void assertRefused(String input, String output, String... fragments) {
    assertEquals(1, run("--input", input, "--output", output, "--overwrite"), err);
    assertEquals(1, err.lines().count(), "one line, got: " + err);
    for (String f : fragments) {
      assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
    }
    assertTrue(Files.exists(picture), "the user's image is gone");
  }

  @Test
  void outputEqualToTheInputInAnySpellingIsRefused() throws Exception {
    String in = images.toString();
    assertRefused(in, in, "output", "is input");
    assertRefused(in, images.toUri().toString(), "is input"); // file:/...
    assertRefused(in, "file://" + images + "/", "is input");
    String relative = Paths.get("").toAbsolutePath().relativize(images).toString();
    assertRefused(relative, in, "is input");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), images);
    assertRefused(in, link.toString(), "is input");
    assertRefused(link.toString(), in, "is input");
  }

  @Test
  void outputInsideOrAroundTheInputIsRefused() throws Exception {
    assertRefused(images.toString(), images.resolve("train").toString(), "is inside input");
    assertRefused(images.toString(), images.resolve("new-ds").toString(), "is inside input");
    assertRefused(images.resolve("train").toString(), images.toString(), "contains input");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), images);
    assertRefused(images.resolve("train").toString(), link.toString(), "contains input");
  }

  @Test
  void overwriteRefusesAFolderThatIsNotADataset() throws Exception {
    Path other = tmp.resolve("thesis");
    Files.createDirectories(other);
    Path chapter = other.resolve("chapter1.tex");
    Files.writeString(chapter, "my work");
    assertEquals(1, run("--input", images.toString(), "--output", other.toString(), "--overwrite"));
    assertTrue(err.contains("is not a data-prep dataset"), err);
    assertTrue(err.contains(other.toString()), err);
    assertFalse(err.contains("--overwrite"), "must not suggest --overwrite: " + err);
    assertEquals("my work", Files.readString(chapter));
    // without --overwrite: the same refusal, not an invitation to pass it
    assertEquals(1, run("--input", images.toString(), "--output", other.toString()));
    assertFalse(err.contains("--overwrite"), err);
    // a file where the folder should be
    assertEquals(1, run("--input", images.toString(), "--output", chapter.toString()));
    assertTrue(err.contains("is a file"), err);
    assertEquals("my work", Files.readString(chapter));
  }

  @Test
  void aDatasetOrAnEmptyFolderIsReplaceable() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    var fs = org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
    DatasetPublisher p =
        new DatasetPublisher(
            new org.apache.hadoop.fs.Path(empty.toUri()),
            new org.apache.hadoop.conf.Configuration());
    p.checkTarget(true);
    Path old = Files.createDirectories(tmp.resolve("old-ds"));
    for (String marker : List.of(DatasetManifest.FILE, DatasetPublisher.SUCCESS)) {
      Path m = old.resolve(marker);
      Files.writeString(m, "{}");
      new DatasetPublisher(new org.apache.hadoop.fs.Path(old.toUri()), fs.getConf())
          .checkTarget(true);
      Files.delete(m);
    }
  }
}
