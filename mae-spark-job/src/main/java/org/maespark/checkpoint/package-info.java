/**
 * Checkpoints: where and how often they are written, what {@code state.json} records, the store
 * that writes, lists, prunes and loads them, and the file names a checkpoint folder holds.
 */
package org.maespark.checkpoint;
