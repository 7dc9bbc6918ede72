package org.maespark.model;

import java.io.PrintStream;

/**
 * Mutes {@code System.out} for one thread while it runs a library call that prints there without
 * any setting to stop it. SameDiff 1.0.0-M2.1's {@code createGradFunction} prints "Added
 * differentiated op NAME" for every op of the graph (an unconditional {@code System.out.println},
 * thousands of lines per model). Output of every other thread, and of this thread outside the call,
 * passes through unchanged, so nothing is filtered by its text.
 */
final class QuietStdout extends PrintStream {
  private static final ThreadLocal<Boolean> MUTED = ThreadLocal.withInitial(() -> false);

  private QuietStdout(PrintStream out) {
    super(out, true);
  }

  /** Runs {@code call} with this thread's writes to {@code System.out} discarded. */
  static void run(Runnable call) {
    install();
    MUTED.set(true);
    try {
      call.run();
    } finally {
      MUTED.set(false);
    }
  }

  private static synchronized void install() {
    if (!(System.out instanceof QuietStdout)) {
      System.setOut(new QuietStdout(System.out));
    }
  }

  @Override
  public void write(int b) {
    if (!MUTED.get()) {
      super.write(b);
    }
  }

  @Override
  public void write(byte[] buf, int off, int len) {
    if (!MUTED.get()) {
      super.write(buf, off, len);
    }
  }
}
