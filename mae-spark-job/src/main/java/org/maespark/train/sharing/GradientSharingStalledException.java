package org.maespark.train.sharing;

/**
 * A gradient-sharing fit was cancelled: it made no progress for {@code
 * train.sharing_stall_timeout_s}, or an executor that trained in the run was lost. The last
 * complete checkpoint is intact, so {@code --resume auto} continues from it.
 */
public final class GradientSharingStalledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  GradientSharingStalledException(String message, Throwable cause) {
    super(message, cause);
  }
}
