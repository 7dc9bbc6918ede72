/**
 * Gradient sharing (DL4J's {@code SharedTrainingMaster}) made dependable: a port supplier that
 * honours the configured controller port and gives each executor its own, workers that restart
 * every fit from the driver's parameters, and a watchdog that turns a stalled parameter-server mesh
 * into a bounded-time failure. See {@link org.maespark.train.sharing.GradientSharing}.
 */
package org.maespark.train.sharing;
