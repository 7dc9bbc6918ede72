package org.maespark.data;

import java.io.Serializable;

/**
 * Why one input file did not become a row: the stage that refused it and a one-line reason.
 *
 * <p>Stages: {@code list} (not an image by name), {@code label} (no class for it), {@code read}
 * (unreadable or empty file), {@code decode} (not a decodable image: corrupt or unknown format),
 * {@code truncated} (the file ends early), {@code size} (too small, too large).
 */
public record Reject(String stage, String reason) implements Serializable {}
