/** Packaging of mae-spark for clusters: the shaded application jar and its cluster self-check. */
package org.maespark.dist;
