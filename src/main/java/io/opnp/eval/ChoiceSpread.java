package io.opnp.eval;

import io.opnp.decision.ChoiceUncertainty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How sure the validation data is of its ranking's first place, for metrics.json ("choice_uncertainty") and
 * report.md: the leading single configurations, the share of bootstrap resamples of the validation rows in
 * which each ranked first, the 95 % interval of its criterion minus the first one's, and which of
 * them the data cannot tell from the first (the JSON keys say "chosen": the first-ranked, which
 * {@code --choose best} recommends and a fusion takes as its first member).
 *
 * @param shortlist the leading configurations by the point estimate, the first-ranked first
 */
record ChoiceSpread(int resamples, List<Entry> shortlist) {
  /** How many of the leading configurations the paired bootstrap compares. */
  static final int SHORTLIST = 10;
  static final int RESAMPLES = 200;

  record Entry(String label, double winShare, double lower, double upper, boolean tied) {}

  ChoiceSpread {
    shortlist = List.copyOf(shortlist);
  }

  static ChoiceSpread of(List<String> labels, ChoiceUncertainty.Result r) {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      entries.add(new Entry(labels.get(i), r.winShare()[i], r.lower()[i], r.upper()[i], r.tied()[i]));
    }
    return new ChoiceSpread(r.resamples(), entries);
  }

  /** The configurations other than the chosen one that the data cannot tell from it. */
  List<Entry> tiedWithChosen() {
    return shortlist.subList(1, shortlist.size()).stream().filter(Entry::tied).toList();
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", "paired bootstrap over the validation rows (ID and each proxy resampled, the same draw for every "
        + "configuration)");
    m.put("resamples", resamples);
    m.put("level", ChoiceUncertainty.LEVEL);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Entry e : shortlist) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("detector", e.label());
      r.put("best_in_share_of_resamples", e.winShare());
      r.put("criterion_minus_chosen_interval", List.of(e.lower(), e.upper()));
      r.put("indistinguishable_from_chosen", e.tied());
      rows.add(r);
    }
    m.put("leading", rows);
    return m;
  }

  String markdown() {
    List<Entry> tied = tiedWithChosen();
    StringBuilder sb = new StringBuilder("How sure the ranking is of its first place: ");
    Entry chosen = shortlist.get(0);
    if (tied.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "the validation data tells %s from the next %d configurations (paired "
          + "bootstrap, %d resamples of the validation rows); it ranked first in %.0f %% of the resamples.",
          chosen.label(), shortlist.size() - 1, resamples, 100 * chosen.winShare()));
    } else {
      sb.append(String.format(Locale.ROOT, "**the validation data cannot tell %s from %d other configuration(s)** "
          + "(their 95 %% interval of the difference reaches zero; paired bootstrap, %d resamples of the validation "
          + "rows). Any of them could be the best on these proxies, and the proxies are only a guess at the OOD data "
          + "you will meet: validate on real OOD images of your own (`--val-ood`) when you have any.",
          chosen.label(), tied.size(), resamples));
    }
    sb.append("\n\n| detector | ranked first in | criterion − first's (95 % interval, points) | indistinguishable |\n"
        + "|---|---:|---:|---|\n");
    for (Entry e : shortlist) {
      sb.append(String.format(Locale.ROOT, "| %s | %.1f %% | %+.2f … %+.2f | %s |%n", e.label().replace("|", "\\|"),
          100 * e.winShare(), 100 * e.lower(), 100 * e.upper(), e == chosen ? "(first)" : e.tied() ? "yes" : "no"));
    }
    return sb.append('\n').toString();
  }
}
