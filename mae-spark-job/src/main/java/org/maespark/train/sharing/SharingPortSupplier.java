package org.maespark.train.sharing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;
import org.apache.spark.SparkEnv;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

/**
 * The UDP port each JVM's parameter server binds: the configured controller port on the driver, and
 * on an executor one port of {@code controllerPort+1 .. controllerPort+executorPorts} that is free
 * on its host.
 *
 * <p>Why: DL4J's {@code StaticPortSupplier(int)} (nd4j-parameter-server-node 1.0.0-M2, {@code
 * StaticPortSupplier.java}, the constructor) validates its argument but never stores it, so every
 * JVM binds the field's initial 49876; two executors on one host then share a port without an error
 * and the driver's model never receives their updates. DL4J asks the supplier again and again in
 * the same JVM (the driver when it configures the master and launches the server, the executor for
 * its log line and its transport), so the executor's choice is made once per JVM and kept.
 *
 * <p>The executor's first candidate is derived from its Spark executor id, so live executors on a
 * host start from different ports; a busy port moves the search on to the next one in the range.
 */
public final class SharingPortSupplier implements PortSupplier {
  private static final long serialVersionUID = 1L;

  /** Per JVM: the executor port chosen for a controller port. */
  private static final Map<Integer, Integer> CHOSEN = new ConcurrentHashMap<>();

  /** Spark's executor id of the driver JVM (also of the tasks in local mode). */
  private static final String DRIVER = "driver";

  private final int controllerPort;
  private final int executorPorts;

  public SharingPortSupplier(int controllerPort, int executorPorts) {
    if (controllerPort < 1 || executorPorts < 1 || controllerPort + executorPorts > 65535) {
      throw new IllegalArgumentException(
          "controller port "
              + controllerPort
              + " with "
              + executorPorts
              + " executor ports: expected ports within 1..65535");
    }
    this.controllerPort = controllerPort;
    this.executorPorts = executorPorts;
  }

  @Override
  public int getPort() {
    SparkEnv env = SparkEnv.get();
    String executorId = env == null ? null : env.executorId();
    if (executorId == null || DRIVER.equals(executorId)) {
      return controllerPort;
    }
    return CHOSEN.computeIfAbsent(
        controllerPort, p -> executorPort(executorId, SharingPortSupplier::udpPortFree));
  }

  /**
   * The port an executor binds: the first free one in the executor range, starting at a place
   * derived from the executor id.
   */
  int executorPort(String executorId, IntPredicate free) {
    int start = Math.floorMod(startIndex(executorId), executorPorts);
    for (int i = 0; i < executorPorts; i++) {
      int port = controllerPort + 1 + (start + i) % executorPorts;
      if (free.test(port)) {
        return port;
      }
    }
    throw new IllegalStateException(
        "executor "
            + executorId
            + ": no free UDP port in "
            + (controllerPort + 1)
            + ".."
            + (controllerPort + executorPorts)
            + " (train.sharing_controller_port + train.sharing_executor_ports)");
  }

  private static int startIndex(String executorId) {
    try {
      return Integer.parseInt(executorId);
    } catch (NumberFormatException e) {
      return executorId.hashCode();
    }
  }

  static boolean udpPortFree(int port) {
    try (DatagramSocket s = new DatagramSocket(null)) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "SharingPortSupplier(controller "
        + controllerPort
        + ", executors "
        + (controllerPort + 1)
        + ".."
        + (controllerPort + executorPorts)
        + ")";
  }
}
