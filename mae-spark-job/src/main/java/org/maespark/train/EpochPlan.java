package org.maespark.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.StorageLevel;
import org.maespark.data.IndexPartitioner;
import org.maespark.input.Augmenter;
import org.maespark.input.Seeds;
import org.maespark.input.TrainRow;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

/**
 * One epoch's data order and its rounds. The epoch's order is a sort by a hash of (seed, epoch, row
 * id): a seeded shuffle that gives every row a position, independent of partitioning. Round {@code
 * r} takes positions {@code [r*R, (r+1)*R)}, {@code R = workers * averagingFrequency *
 * batchPerWorker}; worker {@code w} gets the {@code w}-th consecutive block of {@code
 * averagingFrequency} minibatches, turned into MultiDataSets by the {@link Augmenter} on the
 * executor.
 *
 * <p>The epoch is laid out once: one shuffle puts every (round, worker) block into its own
 * partition, and a round reads only its {@code workers} partitions. (Cutting each round out of the
 * whole epoch instead cost a scan of every row and a shuffle per round.) Minibatches are made one
 * at a time as the worker asks for them, so DL4J's prefetching thread prepares the next minibatch
 * while the current one trains.
 */
public final class EpochPlan implements AutoCloseable {
  private final JavaPairRDD<Long, TrainRow> ordered;
  private final JavaPairRDD<Integer, Tuple2<Long, TrainRow>> blocks;
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
    long perWorker = (long) averagingFrequency * batchPerWorker;
    long used = ordered.count() / roundImages() * roundImages(); // whole rounds only
    int nBlocks = (int) Math.max(1, used / perWorker);
    this.blocks =
        ordered
            .filter(p -> p._1() < used)
            .mapToPair(p -> new Tuple2<>((int) (p._1() / perWorker), p))
            .partitionBy(new IndexPartitioner(nBlocks))
            .persist(StorageLevel.MEMORY_AND_DISK_SER());
  }

  /** Images per round. */
  public long roundImages() {
    return (long) workers * averagingFrequency * batchPerWorker;
  }

  /** The minibatches of round {@code r}: {@code workers} partitions, in training order. */
  public JavaRDD<MultiDataSet> round(long r) {
    int bpw = batchPerWorker;
    int e = epoch;
    Augmenter aug = augmenter;
    RDD<Tuple2<Integer, Tuple2<Long, TrainRow>>> mine =
        PartitionPruningRDD.create(blocks.rdd(), new Blocks(r * workers, (r + 1) * workers));
    return JavaRDD.fromRDD(mine, blocks.classTag())
        .mapPartitions(it -> batches(it, bpw, e, aug), true);
  }

  /** Partition indices {@code [from, to)}: one round's blocks. */
  private static final class Blocks extends AbstractFunction1<Object, Object>
      implements Serializable {
    private final long from;
    private final long to;

    Blocks(long from, long to) {
      this.from = from;
      this.to = to;
    }

    @Override
    public Object apply(Object index) {
      int i = (Integer) index;
      return i >= from && i < to;
    }
  }

  private static Iterator<MultiDataSet> batches(
      Iterator<Tuple2<Integer, Tuple2<Long, TrainRow>>> it, int bpw, int epoch, Augmenter aug) {
    List<Tuple2<Long, TrainRow>> rows = new ArrayList<>();
    it.forEachRemaining(t -> rows.add(t._2()));
    rows.sort((a, b) -> Long.compare(a._1(), b._1()));
    int n = rows.size() / bpw;
    return new Iterator<>() {
      private int next = 0;

      @Override
      public boolean hasNext() {
        return next < n;
      }

      @Override
      public MultiDataSet next() {
        if (next >= n) {
          throw new NoSuchElementException();
        }
        List<TrainRow> batch = new ArrayList<>(bpw);
        for (int j = next * bpw; j < (next + 1) * bpw; j++) {
          batch.add(rows.get(j)._2());
        }
        next++;
        return aug.batch(batch, epoch);
      }
    };
  }

  @Override
  public void close() {
    blocks.unpersist(false);
    ordered.unpersist(false);
  }
}
