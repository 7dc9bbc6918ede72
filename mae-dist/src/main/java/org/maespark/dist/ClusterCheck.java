package org.maespark.dist;

import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.maespark.command.SparkSessions;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks that a cluster can run mae-spark before a long job is sent to it: every task loads ND4J's
 * backend from the application jar (the shaded jar's merged service files), computes a matrix
 * product with it, and sends an {@link INDArray} back through the configured serializer (Kryo with
 * ND4J's registrator in the deploy scripts). Prints one line per executor JVM and exits non-zero if
 * a task saw a wrong result.
 *
 * <pre>
 * spark-submit --class org.maespark.dist.ClusterCheck mae-spark-VERSION-cpu.jar [tasks]
 * </pre>
 */
public final class ClusterCheck {

  /**
   * What one task saw on its executor. A class, not a record: Spark's Kryo 4 cannot serialize
   * records ("can't get field offset on a record class").
   */
  public static final class Report implements Serializable {
    private final String host;
    private final long pid;
    private final String backend;
    private final int cores;
    private final double sum;
    private final INDArray eye;

    Report(String host, long pid, String backend, int cores, double sum, INDArray eye) {
      this.host = host;
      this.pid = pid;
      this.backend = backend;
      this.cores = cores;
      this.sum = sum;
      this.eye = eye;
    }

    public String host() {
      return host;
    }

    public long pid() {
      return pid;
    }

    public String backend() {
      return backend;
    }

    public int cores() {
      return cores;
    }

    /** (sum of ones(n,n) x ones(n,n)) / n^3: exactly 1 when the backend computes correctly. */
    public double sum() {
      return sum;
    }

    /** A 3x3 identity made on the executor and sent back through the serializer. */
    public INDArray eye() {
      return eye;
    }
  }

  private ClusterCheck() {}

  public static void main(String[] args) {
    // the session every command gets, so the check exercises the jobs' own Kryo settings
    try (SparkSessions.Job job = SparkSessions.open("mae-spark cluster check")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(job.spark().sparkContext());
      int tasks = args.length > 0 ? parseTasks(args[0]) : 2 * sc.defaultParallelism();
      List<Report> reports = run(sc, tasks);
      boolean ok = print(reports, tasks);
      if (!ok) {
        job.close();
        System.exit(1);
      }
    }
  }

  /** Runs {@code tasks} tasks and returns what each saw. */
  public static List<Report> run(JavaSparkContext sc, int tasks) {
    List<Integer> seeds = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      seeds.add(i);
    }
    JavaRDD<Report> reports = sc.parallelize(seeds, tasks).mapPartitions(ClusterCheck::probe);
    return reports.collect();
  }

  private static Iterator<Report> probe(Iterator<Integer> partition) {
    List<Report> out = new ArrayList<>();
    while (partition.hasNext()) {
      int n = 8 + partition.next();
      INDArray ones = Nd4j.ones(n, n); // [n, n]
      double sum = ones.mmul(ones).sumNumber().doubleValue(); // n * n * n when ND4J works
      out.add(
          new Report(
              hostName(),
              ProcessHandle.current().pid(),
              Nd4j.getBackend().getClass().getName(),
              Runtime.getRuntime().availableProcessors(),
              sum / ((double) n * n * n),
              Nd4j.eye(3)));
    }
    return out.iterator();
  }

  private static boolean print(List<Report> reports, int tasks) {
    boolean ok = reports.size() == tasks;
    TreeSet<String> executors = new TreeSet<>();
    for (Report r : reports) {
      boolean good = r.sum() == 1.0 && r.eye().equals(Nd4j.eye(3));
      ok &= good;
      executors.add(
          String.format(
              "%s pid %d: %s, %d cores%s",
              r.host(), r.pid(), r.backend(), r.cores(), good ? "" : "  WRONG RESULT"));
    }
    System.out.printf(
        "mae-spark cluster check (driver pid %s): %d tasks on %d executor JVMs%n",
        ManagementFactory.getRuntimeMXBean().getPid(), reports.size(), executors.size());
    executors.forEach(line -> System.out.println("  " + line));
    System.out.println(ok ? "cluster check passed" : "cluster check FAILED");
    return ok;
  }

  private static int parseTasks(String arg) {
    try {
      int tasks = Integer.parseInt(arg);
      if (tasks > 0) {
        return tasks;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("tasks: expected a positive integer, got '" + arg + "'");
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown-host";
    }
  }
}
