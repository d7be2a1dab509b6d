package io.opnp.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class IdOrderTest {
  @Test
  void digitRunsCompareAsNumbers() {
    assertTrue(IdOrder.compareIds("2", "10") < 0);
    assertTrue(IdOrder.compareIds("shuffle/2", "shuffle/123") < 0);
    assertTrue(IdOrder.compareIds("a/9/z", "a/10/a") < 0);
    assertTrue(IdOrder.compareIds("img10.png", "img9.png") > 0);
    assertTrue(IdOrder.compareIds("7", "07") < 0, "equal numbers: fewer leading zeros first");
    assertEquals(0, IdOrder.compareIds("abc12", "abc12"));
    assertTrue(IdOrder.compareIds("abc", "abc1") < 0);
  }

  @Test
  void theFirstTwentyThousandRowNumbersAreRowsZeroTo19999() {
    // Issue 19: as strings, the 20,000 smallest of "0".."54999" held only 12,001 ids below 20,000.
    List<String> ids = new ArrayList<>(IntStream.range(0, 55_000).mapToObj(Integer::toString).toList());
    java.util.Collections.shuffle(ids, new Random(1));
    ids.sort(IdOrder.INSTANCE);
    for (int i = 0; i < 20_000; i++) {
      assertEquals(Integer.toString(i), ids.get(i));
    }
  }

  @Test
  void isATotalOrderOnRandomIds() {
    Random r = new Random(7);
    String alphabet = "0019a/b.";
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder();
      for (int k = r.nextInt(6); k >= 0; k--) {
        sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      ids.add(sb.toString());
    }
    for (String a : ids) {
      for (String b : ids) {
        int ab = Integer.signum(IdOrder.compareIds(a, b));
        assertEquals(-ab, Integer.signum(IdOrder.compareIds(b, a)), a + " vs " + b);
        assertEquals(a.equals(b), ab == 0, a + " vs " + b);
        if (ab < 0) {
          for (String c : ids.subList(0, 60)) {
            if (IdOrder.compareIds(b, c) < 0) {
              assertTrue(IdOrder.compareIds(a, c) < 0, a + " < " + b + " < " + c);
            }
          }
        }
      }
    }
  }
}
