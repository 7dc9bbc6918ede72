/**
 * The asymmetric Masked Autoencoder (He et al., 2022) as a DL4J graph, its weights and optimizer.
 */
package org.maespark.model;
