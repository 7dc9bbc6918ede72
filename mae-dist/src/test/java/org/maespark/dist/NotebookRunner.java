package org.maespark.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Executes a notebook headless ({@code jupyter nbconvert --execute}, Debian's jupyter-nbconvert
 * with python3-ipykernel and python3-matplotlib) against a checkpoint directory. Fails with the
 * notebook's own error when a cell fails.
 */
final class NotebookRunner {

  private NotebookRunner() {}

  /** Runs {@code notebook} with {@code CHECKPOINT_DIR=checkpoint}; returns the executed copy. */
  static Path execute(Path notebook, Path checkpoint, Path outDir)
      throws IOException, InterruptedException {
    Files.createDirectories(outDir);
    Path log = outDir.resolve("nbconvert.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    "jupyter",
                    "nbconvert",
                    "--to",
                    "notebook",
                    "--execute",
                    "--ExecutePreprocessor.timeout=300",
                    "--output-dir",
                    outDir.toString(),
                    notebook.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("CHECKPOINT_DIR", checkpoint.toString());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "jupyter not found: apt-get install jupyter-nbconvert python3-ipykernel"
              + " python3-matplotlib python3-numpy (.ci/run does this)",
          e);
    }
    if (!p.waitFor(400, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("nbconvert still running after 400 s; see " + log);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          notebook.getFileName() + " failed on " + checkpoint + ":\n" + Files.readString(log));
    }
    return outDir.resolve(notebook.getFileName());
  }
}
