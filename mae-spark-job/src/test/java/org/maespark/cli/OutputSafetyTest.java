package org.maespark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.testing.FmnistTestData;
import org.maespark.testing.TinyCheckpoint;

/**
 * pretrain, evaluate and export never replace or delete what this tool did not write: a user's
 * folder given as checkpoint root or output is refused by name and left as it was.
 */
class OutputSafetyTest {
  @TempDir Path tmp;
  private String err;

  private int mae(String... args) {
    CliRun run = CliRun.of(args);
    err = run.err();
    return run.rc();
  }

  private Path userFolder(String name) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve("thesis.tex"), "my work");
    return dir;
  }

  private void assertRefusedAndKept(Path folder, String... fragments) throws Exception {
    assertEquals(1, err.lines().count(), err);
    for (String f : fragments) {
      assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
    }
    assertEquals("my work", Files.readString(folder.resolve("thesis.tex")));
  }

  @Test
  void exportReplacesOnlyItsOwnFiles() throws Exception {
    Path ckpt = tmp.resolve("ckpt");
    TinyCheckpoint.write(ckpt, 1);
    Path user = userFolder("mine");
    assertEquals(1, mae("export", "--checkpoint", ckpt.toString(), "--output", user.toString()));
    assertRefusedAndKept(user, user.toString(), "is not a mae output folder");
    // the checkpoint itself is not an export folder either
    Path epoch = ckpt.resolve("epoch-00001");
    assertEquals(1, mae("export", "--checkpoint", ckpt.toString(), "--output", epoch.toString()));
    assertTrue(err.contains("is not a mae output folder"), err);
    assertTrue(Files.exists(epoch.resolve("model.safetensors")));
    // an earlier export is replaced
    Path out = tmp.resolve("export");
    assertEquals(0, mae("export", "--checkpoint", ckpt.toString(), "--output", out.toString()));
    assertEquals(0, mae("export", "--checkpoint", ckpt.toString(), "--output", out.toString()));
  }

  @Test
  void evaluateRefusesAForeignOutputFolder() throws Exception {
    Path ckpt = tmp.resolve("ckpt");
    TinyCheckpoint.write(ckpt, 1);
    Path user = userFolder("mine");
    assertEquals(1, mae("evaluate", "--checkpoint", ckpt.toString(), "--output", user.toString()));
    assertRefusedAndKept(user, user.toString(), "is not a mae output folder");
  }

  @Test
  void pretrainRefusesAForeignRootOrTheDatasetAsRoot() throws Exception {
    String data = FmnistTestData.write(tmp.resolve("data"), 2, 1);
    Path user = userFolder("mine");
    assertEquals(1, pretrain(data, user.toString()));
    assertRefusedAndKept(user, user.toString(), "is not a checkpoint root");
    for (String root : List.of(data, data + "/train", tmp.toString())) {
      assertEquals(1, pretrain(data, root), root);
      assertTrue(err.contains("checkpoint root") && err.contains("dataset"), err);
    }
    assertTrue(Files.exists(tmp.resolve("data/dataset/_SUCCESS")));
  }

  private int pretrain(String data, String root) {
    List<String> a = new ArrayList<>(EndToEndIT.args("pretrain", "--dataset", data));
    a.addAll(
        List.of(
            "--checkpoints", root, "--set", "train.epochs=1", "--set", "train.warmup_epochs=0"));
    return mae(a.toArray(new String[0]));
  }
}
