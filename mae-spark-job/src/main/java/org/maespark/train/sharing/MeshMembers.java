package org.maespark.train.sharing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import scala.collection.JavaConverters;

/**
 * The executors that have trained in this run's gradient-sharing fits (its parameter-server mesh),
 * and the first of them that Spark lost.
 *
 * <p>Why: DL4J's mesh (1.0.0-M2) never takes a replacement executor in. Measured on the loopback
 * standalone cluster with an executor killed mid-fit: Spark ran the lost task again on a new
 * executor and the fit completed, but that executor's updates never reached the driver; the next
 * fit delivered no update at all, so a whole epoch trained nothing and was checkpointed as if it
 * had, and only the fit after that stalled. A lost member therefore ends the run at once; {@code
 * --resume auto} then starts a fresh application, whose mesh is whole, from the last complete
 * checkpoint. Executors that never trained (idle ones removed by dynamic allocation) do not count.
 */
final class MeshMembers extends SparkListener {
  /** {@code SparkContext.SPARK_JOB_GROUP_ID}: the job property that holds the job group. */
  static final String JOB_GROUP = "spark.jobGroup.id";

  private final String groupPrefix;
  private final Set<Integer> fitStages = ConcurrentHashMap.newKeySet();
  private final Set<String> members = ConcurrentHashMap.newKeySet();
  private final AtomicReference<String> lost = new AtomicReference<>();
  private volatile Runnable onLoss = () -> {};

  /**
   * @param groupPrefix the prefix of the job groups this run's fits run under
   */
  MeshMembers(String groupPrefix) {
    this.groupPrefix = groupPrefix;
  }

  /** What to do (once) when a member is lost, e.g. cancel the running fit. */
  void onLoss(Runnable action) {
    onLoss = action;
  }

  /** Executor ids that have run a task of one of the run's fits. */
  Set<String> members() {
    return Set.copyOf(members);
  }

  /** The first member lost, as "executor ID (Spark's reason)", or null. */
  String lost() {
    return lost.get();
  }

  @Override
  public void onJobStart(SparkListenerJobStart job) {
    String group = job.properties() == null ? null : job.properties().getProperty(JOB_GROUP);
    if (group != null && group.startsWith(groupPrefix)) {
      for (Object stage : JavaConverters.seqAsJavaList(job.stageIds())) {
        fitStages.add((Integer) stage);
      }
    }
  }

  @Override
  public void onTaskStart(SparkListenerTaskStart task) {
    if (fitStages.contains(task.stageId())) {
      members.add(task.taskInfo().executorId());
    }
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    String id = removed.executorId();
    if (members.contains(id)
        && lost.compareAndSet(null, "executor " + id + " (" + removed.reason() + ")")) {
      onLoss.run();
    }
  }
}
