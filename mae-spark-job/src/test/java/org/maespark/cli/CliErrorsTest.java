package org.maespark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.testing.FmnistTestData;
import org.maespark.testing.TinyCheckpoint;

/** Every failure says what and where; every command shows its help; unknown commands fail. */
class CliErrorsTest {
  @TempDir Path tmp;
  private String out;
  private String err;

  private int mae(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int rc = Main.execute(new PrintWriter(o, true), new PrintWriter(e, true), args);
    out = o.toString();
    err = e.toString().strip();
    return rc;
  }

  private void assertOneLine(String... fragments) {
    assertEquals(1, err.lines().count(), "one line, got: " + err);
    for (String f : fragments) {
      assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
    }
  }

  @Test
  void aPasswordInAUriIsRefusedBeforeAnythingLogsIt() {
    String secret = "wJalrXUtnFEMI-not-a-real-key";
    for (String[] args :
        List.of(
            new String[] {
              "pretrain", "--dataset", "s3a://AKID:" + secret + "@bucket/ds", "--checkpoints", "/c"
            },
            new String[] {
              "data-prep", "--input", "s3a://AKID:" + secret + "@b/in", "--output", "/o"
            },
            new String[] {
              "evaluate", "--checkpoint=s3a://AKID:" + secret + "@bucket/ckpt", "--output", "/o"
            })) {
      assertEquals(1, mae(args), err);
      assertOneLine("s3a://AKID:***@", "a password in a URI is not accepted");
      assertFalse(err.contains(secret), err);
      assertFalse(out.contains(secret), out);
    }
  }

  @Test
  void everyCommandShowsItsHelp() {
    for (String c : List.of("data-prep", "pretrain", "evaluate", "inspect", "export")) {
      assertEquals(0, mae(c, "--help"), c + ": " + err);
      assertTrue(out.contains("Usage: mae " + c), c + ": " + out);
      assertTrue(err.isEmpty(), c + ": " + err);
    }
  }

  @Test
  void anUnknownCommandFailsNamingIt() {
    assertEquals(1, mae("nosuch", "--help"));
    assertOneLine("unknown command 'nosuch'", "pretrain");
    assertEquals(1, mae("nosuch"));
    assertOneLine("unknown command 'nosuch'");
    assertEquals(0, mae("--help"));
  }

  @Test
  void exportToAnUnwritablePlaceSaysThePathAndTheReason() throws Exception {
    Path root = tmp.resolve("ckpt");
    TinyCheckpoint.write(root, 1);
    Path blocker = Files.writeString(tmp.resolve("a-file"), "x");
    String target = blocker.resolve("sub").toString(); // a folder under a file
    assertEquals(1, mae("export", "--checkpoint", root.toString(), "--output", target));
    assertOneLine(blocker.toString());
    assertFalse(err.strip().endsWith(target), "a reason after the path: " + err);
    assertTrue(err.matches("mae: .*: [a-zA-Z ]+.*"), err);
    assertEquals(1, mae("export", "--checkpoint", root.toString(), "--output", "/proc/x"));
    assertOneLine("/proc/x: ");
    assertFalse(err.equals("mae: /proc/x"), err);
  }

  @Test
  void imagesThatCannotBeReadAreNamed() throws Exception {
    Path root = tmp.resolve("ckpt");
    TinyCheckpoint.write(root, 1);
    Path missing = tmp.resolve("nope.png");
    assertEquals(1, mae("inspect", root.toString(), "--images", missing.toString()));
    assertOneLine(missing.toString(), "no such file");
    Path png;
    try (Stream<Path> s = Files.list(FmnistTestData.root().resolve("val/n00000000"))) {
      png = s.sorted().findFirst().orElseThrow();
    }
    byte[] b = Files.readAllBytes(png);
    Path cut = tmp.resolve("cut.png");
    Files.write(cut, Arrays.copyOf(b, b.length / 2));
    assertEquals(1, mae("inspect", root.toString(), "--images", cut.toString()));
    assertOneLine(cut.toString() + ": ");
  }

  @Test
  void aMissingDatasetDoesNotExist() {
    String missing = tmp.resolve("no-dataset").toString();
    assertEquals(
        1,
        mae(
            "pretrain",
            "--dataset",
            missing,
            "--checkpoints",
            tmp.resolve("c").toString(),
            "--set",
            "model.preset=fmnist-28"));
    assertOneLine("no-dataset", "does not exist");
    assertFalse(err.contains("_SUCCESS"), err);
  }
}
