package org.maespark.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pictures of one masked reconstruction, all [N, C, H, W] in the input's normalized pixel space.
 *
 * @param masked the input with removed patches set to 0
 * @param predicted the decoder's prediction of every patch (norm-pix predictions mapped back with
 *     each patch's own mean and std, as the official visualization does)
 * @param pasted the prediction on removed patches, the input on visible ones
 */
public record Reconstruction(INDArray masked, INDArray predicted, INDArray pasted) {}
