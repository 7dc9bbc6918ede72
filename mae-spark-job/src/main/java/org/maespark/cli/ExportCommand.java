package org.maespark.cli;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.maespark.checkpoint.FiniteWeights;
import org.maespark.checkpoint.HfNames;
import org.maespark.checkpoint.LoadedCheckpoint;
import org.maespark.command.GlobalOptions;
import org.maespark.command.OutputGuard;
import org.maespark.model.MaeWeights;
import org.maespark.model.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code export}: the checkpoint's weights as safetensors for PyTorch: {@code encoder.safetensors}
 * with the keys timm's {@code vit_*_patch16_224.mae} models load (no {@code mask_token}, no {@code
 * decoder_*}), and {@code mae_full.safetensors} with the whole official state_dict; with {@code
 * --hf} also {@code mae_full_hf.safetensors} under Hugging Face {@code ViTMAEForPreTraining} names.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = "Export encoder-only and full safetensors.")
final class ExportCommand implements Callable<Integer> {
  @Mixin GlobalOptions options;

  static final String ENCODER = "encoder.safetensors";
  static final String FULL = "mae_full.safetensors";
  static final String HF = "mae_full_hf.safetensors";

  @Option(names = "--checkpoint", required = true, description = "Checkpoint dir or root.")
  String checkpoint;

  @Option(names = "--output", required = true, description = "Output directory.")
  Path output;

  @Option(
      names = "--hf",
      description = "Also write " + HF + ": the full model under Hugging Face ViTMAE names.")
  boolean hf;

  /** The encoder's share of the official keys: what a timm ViT state_dict holds. */
  static Map<String, INDArray> encoderOnly(Map<String, INDArray> full) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    full.forEach(
        (k, v) -> {
          if (!k.startsWith("decoder") && !k.equals("mask_token")) {
            out.put(k, v);
          }
        });
    return out;
  }

  /**
   * Refuses an output folder holding anything but what the command writes ({@code files}): it
   * replaces those, and never touches what it did not write.
   */
  static void requireExportFolder(Path output, String... files) throws java.io.IOException {
    Set<String> own = new HashSet<>();
    for (String f : files) {
      own.add(f);
      own.add("." + f + ".crc"); // Hadoop's checksum sidecars of the same files
    }
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(output.toAbsolutePath().toUri());
    OutputGuard.requireOwnedOrAbsent(
        FileSystem.getLocal(new Configuration()),
        p,
        "mae output folder",
        "it holds files other than " + String.join(", ", files),
        own::containsAll);
  }

  @Override
  public Integer call() throws Exception {
    options.requireNoConfig("export");
    requireExportFolder(output, ENCODER, FULL, HF);
    LoadedCheckpoint ck = LoadedCheckpoint.open(checkpoint, new Configuration());
    Map<String, INDArray> full = MaeWeights.stateDict(ck.model().mae());
    FiniteWeights.require(full, "export of " + ck.dir()); // nothing non-finite leaves the tool
    Map<String, String> meta = new TreeMap<>(ck.model().mae().config().toSettings());
    meta.put("format", "pt");
    meta.put("producer", "mae-spark");
    meta.put("epoch", Integer.toString(ck.state().epoch()));
    Files.createDirectories(output);
    try (OutputStream o = Files.newOutputStream(output.resolve(FULL))) {
      SafeTensors.write(full, meta, o);
    }
    Map<String, INDArray> enc = encoderOnly(full);
    try (OutputStream o = Files.newOutputStream(output.resolve(ENCODER))) {
      SafeTensors.write(enc, meta, o);
    }
    if (hf) {
      try (OutputStream o = Files.newOutputStream(output.resolve(HF))) {
        SafeTensors.write(HfNames.toHf(full), meta, o);
      }
    }
    System.out.printf(
        "export: %s (%d tensors, encoder) and %s (%d tensors, full) in %s%n",
        ENCODER, enc.size(), FULL, full.size(), output);
    return 0;
  }
}
