/**
 * Evaluation of an encoder: validation loss, kNN and linear-probe accuracy on its features, and the
 * reconstruction picture.
 */
package org.maespark.eval;
