/**
 * Spark driver for distributed MAE pretraining: epochs, schedule, trainers, checkpoints,
 * evaluation.
 */
package org.maespark.train;
