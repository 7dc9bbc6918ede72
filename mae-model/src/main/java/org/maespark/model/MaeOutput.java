package org.maespark.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One forward pass, as the official {@code forward} returns it.
 *
 * @param loss mean per-patch MSE over removed patches
 * @param pred [N, L, p*p*C] predicted pixels (normalized per patch when norm-pix is on)
 * @param mask [N, L], 0 is keep, 1 is remove
 * @param idsRestore [N, L] (int64) position of each patch in the noise-sorted order
 */
public record MaeOutput(double loss, INDArray pred, INDArray mask, INDArray idsRestore) {}
