package org.maespark.train;

import org.apache.spark.TaskContext;
import org.maespark.model.MaeModel;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gives ND4J's op threads and BLAS threads the cores Spark allots a training task ({@code
 * spark.task.cpus}), instead of every core of the machine. Two tasks sharing a JVM (local[2], or an
 * executor with two task slots) each asked for all cores' threads in every BLAS call and op: four
 * busy threads on two cores. With one BLAS thread each, fmnist-28 on local[2] went from 130-156 to
 * 197-199 img/s averaging every step, from 154-187 to 250-270 averaging every 8 steps and from
 * 92-112 to 129-133 with gradient sharing; with libnd4j's loops on one thread too, 294 at every 8
 * (README, Spark round benchmark). The deployment configurations run one task per executor with all
 * its cores, which this keeps.
 */
public final class TaskThreads {
  private TaskThreads() {}

  /** On a Spark task thread: sets the JVM's ND4J and BLAS threads to the task's cores. */
  public static void apply() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return; // not in a task: the process keeps what it was started with
    }
    int n = Math.max(1, Math.min(task.cpus(), Runtime.getRuntime().availableProcessors()));
    // libnd4j's parallel loops start maxMasterThreads threads (its setMaxThreads changes nothing)
    Nd4j.getEnvironment().setMaxMasterThreads(n);
    Nd4j.factory().blas().setMaxThreads(n);
    // and the model's own row loops, which split over the common pool's threads
    MaeModel.loopThreads(n);
  }
}
