package org.maespark.train;

/** Training produced a NaN or infinite loss; the message names the epoch and the step. */
public class NonFiniteLossException extends RuntimeException {
  public NonFiniteLossException(String message) {
    super(message);
  }
}
