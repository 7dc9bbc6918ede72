package org.maespark.train.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.junit.jupiter.api.Test;
import org.maespark.testing.SparkTestSession;

/**
 * The mesh's members are the executors that ran a task of the run's fits, known from Spark's own
 * job and task events; losing one of them fires once, losing any other executor does not.
 */
class MeshMembersTest {

  @Test
  void onlyTheLossOfAnExecutorThatTrainedInTheRunFires() throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    MeshMembers run = new MeshMembers("mae-gradient-sharing-run-a/");
    MeshMembers other = new MeshMembers("mae-gradient-sharing-run-b/");
    AtomicInteger losses = new AtomicInteger();
    run.onLoss(losses::incrementAndGet);
    jsc.sc().addSparkListener(run);
    jsc.sc().addSparkListener(other);
    try {
      job(jsc, "mae-gradient-sharing-run-b/1");
      awaitMember(other, "driver"); // Spark's events are delivered in order: run has seen it too
      assertEquals(Set.of(), run.members(), "another run's fit makes no member of this one");

      job(jsc, "mae-gradient-sharing-run-a/1");
      awaitMember(run, "driver");

      run.onExecutorRemoved(new SparkListenerExecutorRemoved(0L, "7", "idle"));
      assertNull(run.lost(), "an executor that never trained is not a member");
      assertEquals(0, losses.get());

      run.onExecutorRemoved(new SparkListenerExecutorRemoved(0L, "driver", "exit code 137"));
      run.onExecutorRemoved(new SparkListenerExecutorRemoved(0L, "driver", "again"));
      assertEquals("executor driver (exit code 137)", run.lost());
      assertEquals(1, losses.get(), "fires once");
    } finally {
      jsc.clearJobGroup();
      jsc.sc().removeSparkListener(run);
      jsc.sc().removeSparkListener(other);
    }
  }

  private static void job(JavaSparkContext jsc, String group) {
    jsc.setJobGroup(group, "test", false);
    assertEquals(3L, jsc.parallelize(List.of(1, 2, 3), 2).count());
  }

  private static void awaitMember(MeshMembers mesh, String executor) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (!mesh.members().contains(executor)) {
      assertTrue(Instant.now().isBefore(deadline), "no task event for " + executor + " in 30 s");
      Thread.sleep(20);
    }
  }
}
