package org.maespark.train.sharing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fires {@code onStall} once when no gradient update has reached the driver for {@code timeout}
 * while a fit runs.
 *
 * <p>Why (defect 3): when an executor dies, Spark starts its task again elsewhere; the new JVM's
 * parameter server sends a handshake to the driver and waits for the answer in {@code
 * BaseTransport.sendMessageBlocking} (nd4j-parameter-server-node 1.0.0-M2, the overload without a
 * timeout: it polls {@code replies} every 10 ms forever), while the driver's mesh still lists the
 * dead node. The task is alive, so Spark sees nothing wrong and the job hangs. Silence at the
 * driver is the one symptom every such hang shares.
 */
final class StallWatchdog implements AutoCloseable {
  private final Thread thread;
  private final AtomicBoolean fired = new AtomicBoolean();

  StallWatchdog(UpdateCounter updates, Duration timeout, Runnable onStall) {
    updates.touch();
    long limit = timeout.toNanos();
    long poll = Math.max(50, Math.min(1000, timeout.toMillis() / 10));
    thread =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(poll);
                  if (System.nanoTime() - updates.lastNanos() > limit) {
                    fired.set(true);
                    onStall.run();
                    return;
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "gradient-sharing-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  boolean fired() {
    return fired.get();
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
