package org.maespark.data;

/** Thrown by per-record steps when one image must be rejected; never fails the job. */
public final class RejectException extends Exception {
  private final Reject reject;

  public RejectException(String stage, String reason) {
    super(stage + ": " + reason);
    this.reject = new Reject(stage, reason);
  }

  public Reject reject() {
    return reject;
  }
}
