/**
 * Model input: dataset rows as executors see them, the seeded augmentation (crop, flip, mask
 * noise), bicubic resizing and user images turned into normalised input.
 */
package org.maespark.input;
