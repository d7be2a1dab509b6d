package io.opnp.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import scala.Tuple2;

/**
 * A tree reduce whose result does not depend on which task finishes first. Spark's {@code treeReduce} and
 * {@code treeAggregate} merge partial results in the order they arrive, so floating-point sums (training statistics,
 * residual norms) differed in their last bits from run to run, and so did the scores built on them. Here every
 * partition's value carries its partition index, each level merges groups of {@link Stages#MAX_RESULTS_AT_DRIVER}
 * consecutive indices in index order, and the driver merges the last few in index order: the same data in the same
 * partitions give the same bits, whatever the scheduling.
 */
public final class OrderedReduce {
  private OrderedReduce() {}

  /** Merges the values of {@code rdd} (one or more per partition) in partition order; null for an empty RDD. */
  public static <T extends Serializable> T reduce(JavaRDD<T> rdd, Function2<T, T, T> merge) {
    JavaPairRDD<Integer, T> level = rdd.mapPartitionsWithIndex(new Indexed<>(merge), false)
        .mapToPair(t -> t);
    int width = rdd.getNumPartitions();
    int fanIn = Stages.MAX_RESULTS_AT_DRIVER;
    while (width > 2 * fanIn) {
      int next = (width + fanIn - 1) / fanIn;
      // Group g of this level holds the values of indices g·fanIn … g·fanIn + fanIn − 1; g is its next index.
      level = level.mapToPair(t -> new Tuple2<>(t._1() / fanIn, t)).groupByKey(next)
          .mapValues(group -> mergeInOrder(group, merge)._2());
      width = next;
    }
    List<Tuple2<Integer, T>> last = new ArrayList<>(level.collect());
    try {
      return last.isEmpty() ? null : mergeInOrder(last, merge)._2();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("merging the partial results failed", e);
    }
  }

  /** The values merged by ascending index, under the smallest index. */
  private static <T> Tuple2<Integer, T> mergeInOrder(Iterable<Tuple2<Integer, T>> group, Function2<T, T, T> merge)
      throws Exception {
    List<Tuple2<Integer, T>> sorted = new ArrayList<>();
    group.forEach(sorted::add);
    sorted.sort(Comparator.comparing(Tuple2::_1));
    T acc = sorted.get(0)._2();
    for (int i = 1; i < sorted.size(); i++) {
      acc = merge.call(acc, sorted.get(i)._2());
    }
    return new Tuple2<>(sorted.get(0)._1(), acc);
  }

  /** A partition's values merged in their own order, tagged with the partition's index. */
  private static final class Indexed<T> implements
      Function2<Integer, Iterator<T>, Iterator<Tuple2<Integer, T>>> {
    private static final long serialVersionUID = 1L;
    private final Function2<T, T, T> merge;

    Indexed(Function2<T, T, T> merge) {
      this.merge = merge;
    }

    @Override
    public Iterator<Tuple2<Integer, T>> call(Integer index, Iterator<T> values) throws Exception {
      if (!values.hasNext()) {
        return java.util.Collections.emptyIterator();
      }
      T acc = values.next();
      while (values.hasNext()) {
        acc = merge.call(acc, values.next());
      }
      return List.of(new Tuple2<>(index, acc)).iterator();
    }
  }
}
