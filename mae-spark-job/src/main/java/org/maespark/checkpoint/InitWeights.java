package org.maespark.checkpoint;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.maespark.conf.Settings;
import org.maespark.model.MaeConfig;
import org.maespark.model.MaeWeights;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights a new run starts from ({@code pretrain --init-from}): a checkpoint (directory or
 * root) or a safetensors file in any name scheme {@link WeightsImporter} reads. The run's own
 * {@code model.*} configuration is the shape; weights that do not fit it are refused by name and
 * shapes.
 *
 * @param stateDict the official state_dict to load
 * @param origin what {@code state.json} records about it
 */
public record InitWeights(Map<String, INDArray> stateDict, Map<String, String> origin) {

  public static InitWeights read(String uri, Settings run, long seed, Configuration conf)
      throws IOException {
    Path p = new Path(uri);
    FileSystem fs = p.getFileSystem(conf);
    if (fs.getFileStatus(p).isDirectory()) {
      LoadedCheckpoint ck = LoadedCheckpoint.open(uri, conf);
      Map<String, String> origin = new LinkedHashMap<>();
      origin.put("checkpoint", ck.dir().toString());
      origin.put("epoch", Integer.toString(ck.state().epoch()));
      if (ck.state().origin() != null) {
        ck.state().origin().forEach((k, v) -> origin.put("checkpoint_" + k, v));
      }
      return new InitWeights(MaeWeights.stateDict(ck.model().mae()), origin);
    }
    // every model.* key explicit: the file is checked against the run's shape, not the reverse
    Settings fixed = run;
    for (Map.Entry<String, String> e : MaeConfig.fromSettings(run).toSettings().entrySet()) {
      fixed = fixed.with(e.getKey(), e.getValue());
    }
    WeightsFile f = WeightsFile.read(uri, conf);
    WeightsImporter.Imported im = WeightsImporter.resolve(f.contents(), fixed, seed, uri);
    return new InitWeights(im.stateDict(), im.origin(uri, f.sha256(), seed));
  }
}
