package org.maespark.data;

import org.apache.spark.Partitioner;

/** Partition i holds the records whose key is the Integer i (shards, workers): no hashing. */
public final class IndexPartitioner extends Partitioner {
  private final int partitions;

  public IndexPartitioner(int partitions) {
    this.partitions = partitions;
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    return (Integer) key;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IndexPartitioner p && p.partitions == partitions;
  }

  @Override
  public int hashCode() {
    return partitions;
  }
}
