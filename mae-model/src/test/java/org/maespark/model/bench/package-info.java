/** Training-step throughput benchmark of the MAE graph, comparable to the reference's. */
package org.maespark.model.bench;
