package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad arguments: exit code 1 and one line naming the problem, refused before any Spark work. */
class DataPrepMainTest {
  @TempDir Path tmp;

  private String[] result;

  private int run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DataPrepMain.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    result = new String[] {out.toString(), err.toString()};
    return code;
  }

  private void assertOneLineError(String... fragments) {
    String err = result[1].strip();
    assertEquals(1, err.lines().count(), "one line, got: " + err);
    for (String f : fragments) {
      assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
    }
  }

  @Test
  void missingInputIsRefused() {
    String missing = tmp.resolve("nope").toString();
    assertEquals(1, run("--input", missing, "--output", tmp.resolve("o").toString()));
    assertOneLineError("input", "nope", "does not exist");
  }

  @Test
  void existingOutputIsRefusedWithoutOverwrite() throws Exception {
    Files.createDirectories(tmp.resolve("o"));
    assertEquals(
        1, run("--input", PhotoFixture.FMNIST.toString(), "--output", tmp.resolve("o").toString()));
    assertOneLineError("already exists", "--overwrite");
  }

  @Test
  void unknownKeyAndBadValueAreRefusedByName() throws Exception {
    String in = PhotoFixture.FMNIST.toString();
    String out = tmp.resolve("o").toString();
    assertEquals(1, run("--input", in, "--output", out, "--set", "data.imagesize=28"));
    assertOneLineError("unknown config key 'data.imagesize'");
    assertEquals(1, run("--input", in, "--output", out, "--set", "data.patch=5"));
    assertOneLineError("data.image_size", "256", "multiple of data.patch");
    Path conf = tmp.resolve("bad.properties");
    Files.writeString(conf, "data.channels = 2\nmodel.depth = 12\n");
    assertEquals(1, run("--input", in, "--output", out, "--conf", conf.toString()));
    assertOneLineError("data.channels", "'2'", "1 or 3");
    assertTrue(Files.notExists(tmp.resolve("o")));
  }

  @Test
  void missingRequiredOptionIsOneLine() {
    assertEquals(1, run("--input", tmp.toString()));
    assertOneLineError("--output");
  }
}
