package io.opnp.data;

import java.io.Serializable;
import java.util.Comparator;

/**
 * The order of image ids wherever "the first rows by id" is meant: natural order, in which runs of
 * digits compare as numbers ({@code 2 < 10}, {@code shuffle/2 < shuffle/123}) and everything else
 * character by character. Ids of IDX datasets are row numbers, so their first k are rows 0..k-1
 * (as plain string order they would be 0, 1, 10, 100, ...). A total order: equal numbers with more
 * leading zeros sort after, and only equal strings compare equal.
 */
public final class IdOrder implements Comparator<String>, Serializable {
  private static final long serialVersionUID = 1L;
  public static final IdOrder INSTANCE = new IdOrder();

  private IdOrder() {}

  public static int compareIds(String a, String b) {
    int i = 0;
    int j = 0;
    int zerosTieBreak = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (isDigit(ca) && isDigit(cb)) {
        int ea = runEnd(a, i);
        int eb = runEnd(b, j);
        int sa = skipZeros(a, i, ea);
        int sb = skipZeros(b, j, eb);
        int byLength = Integer.compare(ea - sa, eb - sb);
        if (byLength != 0) {
          return byLength;
        }
        for (int k = 0; k < ea - sa; k++) {
          int c = Character.compare(a.charAt(sa + k), b.charAt(sb + k));
          if (c != 0) {
            return c;
          }
        }
        if (zerosTieBreak == 0) {
          zerosTieBreak = Integer.compare(ea - i, eb - j);
        }
        i = ea;
        j = eb;
      } else {
        if (ca != cb) {
          return Character.compare(ca, cb);
        }
        i++;
        j++;
      }
    }
    int rest = Integer.compare(a.length() - i, b.length() - j);
    return rest != 0 ? rest : zerosTieBreak;
  }

  @Override
  public int compare(String a, String b) {
    return compareIds(a, b);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int runEnd(String s, int from) {
    int e = from;
    while (e < s.length() && isDigit(s.charAt(e))) {
      e++;
    }
    return e;
  }

  private static int skipZeros(String s, int from, int end) {
    int k = from;
    while (k < end - 1 && s.charAt(k) == '0') {
      k++;
    }
    return k;
  }
}
