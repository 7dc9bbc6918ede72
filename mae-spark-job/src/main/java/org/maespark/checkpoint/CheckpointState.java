package org.maespark.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * {@code state.json} of a checkpoint: where the run stands and everything needed to continue it or
 * to trust it later (provenance, as tribuo saves with every model).
 *
 * @param formatVersion version of this layout
 * @param epoch epochs completed (1-based count)
 * @param globalStep optimizer steps taken (the LR schedule position)
 * @param stepsPerEpoch steps per epoch of this run's plan
 * @param lr LR of the last step
 * @param seed the run seed (every other seed derives from it)
 * @param config resolved configuration, properties text
 * @param datasetDigest digest of the dataset manifest trained on
 * @param datasetUri where the dataset was read from
 * @param normMean per-channel mean the inputs were normalised with ([0, 1] units)
 * @param normStd per-channel std the inputs were normalised with
 * @param metrics metrics at this point (train loss, val loss, kNN, ...)
 * @param versions software versions (mae-spark, DL4J, DL4J-Spark, ND4J, Spark, Scala, Hadoop, Java)
 * @param origin where the starting weights came from ({@code import}, {@code pretrain --init-from}:
 *     file, sha256, key names, what was initialised here); null for a run that started from its own
 *     random initialisation
 */
public record CheckpointState(
    int formatVersion,
    int epoch,
    long globalStep,
    long stepsPerEpoch,
    double lr,
    long seed,
    String config,
    String datasetDigest,
    String datasetUri,
    double[] normMean,
    double[] normStd,
    Map<String, Object> metrics,
    Map<String, String> versions,
    Map<String, String> origin) {

  public static final int FORMAT_VERSION = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise state.json", e);
    }
  }

  public static CheckpointState read(InputStream in, String where) throws IOException {
    CheckpointState s = JSON.readValue(in, CheckpointState.class);
    if (s.formatVersion() != FORMAT_VERSION) {
      throw new IOException(
          where
              + ": state.json formatVersion "
              + s.formatVersion()
              + ", this version reads "
              + FORMAT_VERSION);
    }
    return s;
  }
}
