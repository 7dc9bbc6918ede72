package org.maespark.train;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.maespark.data.IndexPartitioner;
import org.maespark.input.Augmenter;
import org.maespark.input.Seeds;
import org.maespark.input.TrainRow;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

/**
 * One epoch's data order and its rounds. The epoch's order is a sort by a hash of (seed, epoch, row
 * id): a seeded shuffle that gives every row a position, independent of partitioning. Round {@code
 * r} takes positions {@code [r*R, (r+1)*R)}, {@code R = workers * averagingFrequency *
 * batchPerWorker}; worker {@code w} gets the {@code w}-th consecutive block of {@code
 * averagingFrequency} minibatches, turned into MultiDataSets by the {@link Augmenter} on the
 * executor.
 */
public final class EpochPlan implements AutoCloseable {
  private final JavaPairRDD<Long, TrainRow> ordered;
  private final int epoch;
  private final int workers;
  private final int batchPerWorker;
  private final int averagingFrequency;
  private final Augmenter augmenter;

  /**
   * @param epoch 0-based epoch (the official code's {@code epoch})
   */
  public EpochPlan(
      JavaRDD<TrainRow> rows,
      long seed,
      int epoch,
      int workers,
      TrainConfig t,
      Augmenter augmenter) {
    this.epoch = epoch;
    this.workers = workers;
    this.batchPerWorker = t.batchPerWorker();
    this.averagingFrequency = t.averagingFrequency();
    this.augmenter = augmenter;
    this.ordered =
        rows.mapToPair(r -> new Tuple2<>(Seeds.mix(seed, Seeds.SHUFFLE, epoch, r.index()), r))
            .sortByKey()
            .values()
            .zipWithIndex()
            .mapToPair(Tuple2::swap)
            .persist(StorageLevel.MEMORY_AND_DISK_SER());
  }

  /** Images per round. */
  public long roundImages() {
    return (long) workers * averagingFrequency * batchPerWorker;
  }

  /** The minibatches of round {@code r}: {@code workers} partitions, in training order. */
  public JavaRDD<MultiDataSet> round(long r) {
    long first = r * roundImages();
    long end = first + roundImages();
    long perWorker = (long) averagingFrequency * batchPerWorker;
    int bpw = batchPerWorker;
    int e = epoch;
    Augmenter aug = augmenter;
    return ordered
        .filter(p -> p._1() >= first && p._1() < end)
        .mapToPair(p -> new Tuple2<>((int) ((p._1() - first) / perWorker), p))
        .partitionBy(new IndexPartitioner(workers))
        .mapPartitions(it -> batches(it, bpw, e, aug), true);
  }

  private static Iterator<MultiDataSet> batches(
      Iterator<Tuple2<Integer, Tuple2<Long, TrainRow>>> it, int bpw, int epoch, Augmenter aug) {
    List<Tuple2<Long, TrainRow>> rows = new ArrayList<>();
    it.forEachRemaining(t -> rows.add(t._2()));
    rows.sort((a, b) -> Long.compare(a._1(), b._1()));
    List<MultiDataSet> out = new ArrayList<>();
    for (int i = 0; i + bpw <= rows.size(); i += bpw) {
      List<TrainRow> batch = new ArrayList<>(bpw);
      for (int j = i; j < i + bpw; j++) {
        batch.add(rows.get(j)._2());
      }
      out.add(aug.batch(batch, epoch));
    }
    return out.iterator();
  }

  @Override
  public void close() {
    ordered.unpersist(false);
  }
}
