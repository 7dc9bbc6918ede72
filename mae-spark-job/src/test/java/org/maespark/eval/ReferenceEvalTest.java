package org.maespark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maespark.cli.Main;
import org.maespark.testing.FmnistSample;
import org.maespark.testing.SparkTestSession;

/**
 * {@code evaluate} gives the reference's own figures for the reference's weights. The fixture
 * ({@code src/test/resources/reference-eval}, made by {@code
 * src/test/python/reference_eval_fixture.py} with the reference's {@code learn_ref.py}) holds
 * weights trained for one short epoch on exactly the images of {@code samples/fmnist} and the
 * figures {@code learn_ref.py} computed for them. Here the same images go through the real
 * data-prep job, the weights through {@code import}, and {@code evaluate} must match: val loss
 * within 2% (the masks are drawn differently), kNN-20 on cls and mean features and the linear
 * probes within 0.5 point, raw-pixel kNN within 0.3 point.
 */
class ReferenceEvalTest {
  @TempDir Path tmp;

  static final Path FIXTURE = Path.of("src", "test", "resources", "reference-eval");

  @Test
  void evaluateMatchesTheReferenceOnItsWeights() throws Exception {
    String data = FmnistSample.write(SparkTestSession.get(), tmp, 200, 30, 4);
    StringWriter err = new StringWriter();
    int rc =
        Main.execute(
            new PrintWriter(err, true),
            "import",
            "--weights",
            FIXTURE.resolve("fmnist28_ep01.safetensors").toString(),
            "--output",
            tmp.resolve("ckpt").toString(),
            "--dataset",
            data,
            "--set",
            "model.preset=fmnist-28");
    assertEquals(0, rc, err.toString());
    rc =
        Main.execute(
            new PrintWriter(err, true),
            "evaluate",
            "--checkpoint",
            tmp.resolve("ckpt").toString(),
            "--output",
            tmp.resolve("eval").toString(),
            "--set",
            "eval.batch=500");
    assertEquals(0, rc, err.toString());
    ObjectMapper om = new ObjectMapper();
    JsonNode ours = om.readTree(tmp.resolve("eval/eval.json").toFile());
    JsonNode ref = om.readTree(FIXTURE.resolve("learn_ref_results.json").toFile());
    String both = "ours " + ours + "\nreference " + ref.path("evals") + ref.path("raw");

    double refVal = ref.at("/epochs/0/val_loss").asDouble();
    assertEquals(refVal, ours.get("val_loss").asDouble(), 0.02 * refVal, "val loss\n" + both);
    JsonNode e = ref.at("/evals/0");
    assertEquals(e.at("/cls/knn20_w").asDouble(), 100 * ours.get("knn_cls").asDouble(), 0.5, both);
    assertEquals(
        e.at("/mean/knn20_w").asDouble(), 100 * ours.get("knn_mean").asDouble(), 0.5, both);
    assertEquals(
        ref.at("/raw/knn20_w").asDouble(), 100 * ours.get("knn_raw_pixels").asDouble(), 0.3, both);
    assertEquals(
        e.at("/cls/linprobe").asDouble(), 100 * ours.get("probe_cls").asDouble(), 0.5, both);
    assertEquals(
        e.at("/mean/linprobe").asDouble(), 100 * ours.get("probe_mean").asDouble(), 0.5, both);
  }
}
