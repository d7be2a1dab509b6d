package io.opnp.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.opnp.data.IdOrder;
import io.opnp.testing.SparkTestSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class FirstByIdTest {
  private static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType, false)
      .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  @Test
  void firstRowsByIdEqualSortingEverythingInIdOrderWhateverThePartitioning() {
    SparkSession spark = SparkTestSession.get();
    Random r = new Random(4);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 700; i++) {
      String id = "img-" + Integer.toString(r.nextInt(100_000), 36);
      rows.add(RowFactory.create(id, new Float[] {(float) i, (float) -i, 0.5f}));
    }
    List<Row> sorted = new ArrayList<>(rows);
    sorted.sort(Comparator.comparing((Row x) -> x.getString(0), IdOrder.INSTANCE));
    for (int partitions : new int[] {1, 3, 7}) {
      Dataset<Row> ds = spark.createDataFrame(rows, SCHEMA).repartition(partitions);
      for (int k : new int[] {1, 50, 699, 700, 5000}) {
        FirstById.Rows got = FirstById.features(ds, k, 3);
        int n = Math.min(k, rows.size());
        assertEquals(n, got.count(), "k " + k);
        assertEquals(sorted.get(n - 1).getString(0), got.lastId(), "k " + k);
        // The ids are distinct with high probability; the features are the sorted rows' (any order among equal ids).
        double[] want = new double[n * 3];
        for (int i = 0; i < n; i++) {
          Float[] f = (Float[]) sorted.get(i).get(1);
          for (int j = 0; j < 3; j++) {
            want[i * 3 + j] = f[j];
          }
        }
        if (sorted.stream().map(x -> x.getString(0)).distinct().count() == rows.size()) {
          assertArrayEquals(want, got.features(), partitions + " partitions, k " + k);
        }
      }
    }
    assertNull(FirstById.lastId(spark.createDataFrame(List.of(), SCHEMA), 5));
    assertEquals(0, FirstById.features(spark.createDataFrame(List.of(), SCHEMA), 5, 3).count());
  }

  @Test
  void theKSmallestOfTwoSortedListsAreMergedInOrder() {
    assertEquals(Arrays.asList("a", "b", "c"), FirstById.smallest(List.of("a", "c", "x"), List.of("b", "d"), 3));
    assertEquals(Arrays.asList("a", "b"), FirstById.smallest(List.of("a"), List.of("b"), 5));
  }
}
