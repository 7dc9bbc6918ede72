/**
 * The pretraining run: the epoch loop and its recipe, the learning-rate schedule, the DL4J Spark
 * training masters and the per-step synchronisation of the workers.
 */
package org.maespark.train;
