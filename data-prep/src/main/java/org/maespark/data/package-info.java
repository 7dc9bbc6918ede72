/** Spark job that turns image trees into Parquet shards of uint8 patch tensors plus a manifest. */
package org.maespark.data;
