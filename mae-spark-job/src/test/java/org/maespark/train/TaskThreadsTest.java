package org.maespark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.maespark.model.MaeModel;
import org.maespark.testing.SparkTestSession;
import org.nd4j.linalg.factory.Nd4j;

/** A training task's ND4J, BLAS and row-loop threads are the cores Spark gives the task. */
class TaskThreadsTest {
  @Test
  void aTaskOfLocal2RunsItsOpsAndBlasOnOneThread() {
    int ops = Nd4j.getEnvironment().maxMasterThreads();
    int blas = Nd4j.factory().blas().getMaxThreads();
    int loops = MaeModel.loopThreads();
    try {
      Nd4j.getEnvironment().setMaxMasterThreads(2);
      Nd4j.factory().blas().setMaxThreads(2);
      MaeModel.loopThreads(2);
      TaskThreads.apply(); // on the driver thread: no task, nothing changes
      assertEquals(2, Nd4j.getEnvironment().maxMasterThreads());
      JavaSparkContext jsc =
          JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
      List<Integer> seen =
          jsc.parallelize(List.of(1, 2), 2)
              .map(
                  x -> {
                    TaskThreads.apply();
                    return Nd4j.getEnvironment().maxMasterThreads() * 100
                        + Nd4j.factory().blas().getMaxThreads() * 10
                        + MaeModel.loopThreads();
                  })
              .collect();
      assertEquals(List.of(111, 111), seen); // local[2]: spark.task.cpus = 1
    } finally {
      Nd4j.getEnvironment().setMaxMasterThreads(ops);
      Nd4j.factory().blas().setMaxThreads(blas);
      MaeModel.loopThreads(loops);
    }
  }
}
