package org.maespark.data;

/**
 * Why one input file did not become a row: the stage that refused it and a one-line reason.
 *
 * <p>Stages: {@code list} (not an image by name), {@code read} (unreadable or empty file), {@code
 * decode} (not a decodable image: corrupt or unknown format), {@code truncated} (decodable prefix
 * but the file ends early), {@code size} (too small, too large), {@code label} (no class known).
 */
public record Reject(String stage, String reason) {}
