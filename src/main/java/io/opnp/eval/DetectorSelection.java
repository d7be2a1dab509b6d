package io.opnp.eval;

import static org.apache.spark.sql.functions.col;

import io.opnp.BadInputException;
import io.opnp.data.ValidationSplit;
import io.opnp.decision.Candidate;
import io.opnp.decision.ChoiceRule;
import io.opnp.decision.ClassCoverage;
import io.opnp.decision.Criterion;
import io.opnp.decision.FalseAlarmBootstrap;
import io.opnp.decision.FalseAlarmEstimate;
import io.opnp.decision.FusionMembers;
import io.opnp.decision.Selection;
import io.opnp.math.LinearHead;
import io.opnp.math.OodMetrics;
import io.opnp.math.PruningPercentages;
import io.opnp.math.Sensitivity;
import io.opnp.methods.DetectorSpec;
import io.opnp.methods.FittedState;
import io.opnp.methods.Fusion;
import io.opnp.methods.Method;
import io.opnp.methods.OodMethod;
import io.opnp.methods.OodMethods;
import io.opnp.spark.FeatureRows;
import io.opnp.spark.FirstById;
import io.opnp.spark.Stages;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple3;

/**
 * Stage 2 of evaluate: chooses the detector on validation data only. OPNP's plan is swept against
 * every OOD proxy at once; then every method, each over a small grid of its hyper-parameters, scores
 * the validation rows in one distributed pass; {@link Selection} picks the detector that is best by
 * the criterion over the proxies (mean or worst AUROC) and audits the choice by leaving each proxy
 * out; the threshold and its bootstrap interval come from the calibration half of the ID validation
 * images, which the choice never saw.
 */
final class DetectorSelection {
  private static final Logger LOG = LoggerFactory.getLogger(DetectorSelection.class);

  /** What was chosen and why. */
  record Outcome(Selection selection, DetectorSpec chosen, OodMethod chosenMethod, FalseAlarmEstimate threshold,
                 double[] calibrationScores, List<PlanSweep.Point> sweep, PlanSweep.Point plan, double sweepSeconds,
                 DetectorSpec bestOpnpReact, int selectionIdCount, Map<String, Integer> proxyCounts,
                 List<DetectorSpec> specs, String sweepMode, ChoiceSpread spread, Fused fusion,
                 Eligibility eligibility) {}

  /**
   * Which configurations the recommendation may take: all, unless the training rows hold too few of the classifier's
   * classes for the class-fitted methods.
   *
   * @param leftOut the methods left out of the ranking, in table order (empty when none)
   */
  record Eligibility(ClassCoverage coverage, List<String> leftOut) {
    static Eligibility of(ClassCoverage coverage, List<DetectorSpec> specs) {
      List<String> out = coverage.allowsClassFits() ? List.of() : specs.stream().map(DetectorSpec::method)
          .filter(m -> m.family().fitsTrainingClasses()).distinct().map(Method::key).toList();
      return new Eligibility(coverage, out);
    }

    boolean admits(Candidate c) {
      return !leftOut.contains(c.method());
    }

    /** metrics.json's "class_coverage". */
    Map<String, Object> json() {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("training_classes", coverage.covered());
      m.put("classifier_classes", coverage.classes());
      m.put("share", coverage.share());
      m.put("min_share", coverage.minShare());
      m.put("left_out_of_recommendation", leftOut);
      return m;
    }

    /** Why methods were left out, for the recommendation's "why"; empty when none was. */
    String reason() {
      return leftOut.isEmpty() ? "" : String.format(java.util.Locale.ROOT, "the training images hold %d of the "
              + "classifier's %d classes (%.1f %%, under %.0f %%), so the methods fitted class by class (%s) were not "
              + "ranked: they call images of the other classes out-of-distribution (--min-class-coverage, "
              + "minClassCoverage in the ML API)",
          coverage.covered(), coverage.classes(), 100 * coverage.share(), 100 * coverage.minShare(),
          String.join(", ", leftOut));
    }
  }

  /**
   * The fusion of the leading configurations of the method families best on their worst validation OOD set, whether
   * recommended or not.
   *
   * @param fit the fitted state with the members' held-out ID scores (their p-values' reference) added
   * @param choices per member, the family leader it stands for (itself, or its method at the defaults)
   * @param memberSets the validation OOD sets the members were ranked on: the user's own when given, else the proxies
   */
  record Fused(DetectorSpec spec, Candidate candidate, FittedState fit, List<FusionMembers.Choice> choices,
               List<String> memberSets) {
    Fused {
      choices = List.copyOf(choices);
      memberSets = List.copyOf(memberSets);
    }

    /**
     * metrics.json's "fusion_members": the sets the members were ranked on and, per member, the family leader it
     * stands for and whether it is that leader's method at the defaults.
     */
    Map<String, Object> json() {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      out.put("ranked_on_worst_of", memberSets);
      out.put("members", choices.stream().map(ch -> {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("member", ch.member().label());
        m.put("family_leader", ch.leader().label());
        m.put("at_defaults_in_its_place", ch.atDefaults());
        return m;
      }).toList());
      return out;
    }

    /** The members put at their defaults, for the recommendation's "why"; empty when none was. */
    String defaultsReason() {
      List<String> moved = choices.stream().filter(FusionMembers.Choice::atDefaults).map(ch -> ch.member().label()
          + " in place of " + ch.leader().label()).toList();
      return moved.isEmpty() ? "" : String.join(", ", moved) + ": the validation data cannot tell the two apart, "
          + "so the method's defaults stand";
    }
  }

  /** The knobs: target share of ID kept, criterion, resamples, how the recommendation follows from the ranking. */
  record Settings(double keep, Criterion criterion, int bootstrapResamples, long seed, EvaluateJob.SweepMode sweep,
                  ChoiceRule rule, double minClassCoverage) {}

  /** Above this estimate the automatic mode searches plans by coordinates instead of the whole grid. */
  static final double AUTO_GRID_SECONDS = 120;

  /** Keys of the two halves of val-id; '+' cannot occur in a user's dataset name. */
  private static final String SELECT = "+select";
  private static final String CALIBRATE = "+calibrate";
  /** The fewest calibration images a threshold is set from. */
  static final int MIN_CALIBRATION = 20;

  private DetectorSelection() {}

  static Outcome run(JavaSparkContext jsc, Dataset<Row> cache, Sensitivity sens, LinearHead head,
                     FittedState fit, EvaluateJob.Roles roles, List<PruningPercentages> grid,
                     Settings settings, StageTimes times) {
    int d = head.dim();
    List<String> proxies = roles.proxies();
    Dataset<Row> valId = cache.where(col("dataset").equalTo(roles.valId()));
    // At most valLimit rows per side, the first by id: the driver's share is bounded by the flag, not the data.
    Map<String, String> lastIds = new HashMap<>();
    List<double[]> oods = new ArrayList<>();
    int[] nOods = new int[proxies.size()];
    Map<String, Integer> proxyCounts = new java.util.LinkedHashMap<>();
    FirstById.Rows idSelRows = times.time("validation features to the driver", StageTimes.Where.EXECUTORS, () -> {
      FirstById.Rows sel = FirstById.features(valId.filter(new ValidationSplit.SelectionHalf(true)),
          roles.valLimit(), d);
      lastIds.put(SELECT, sel.lastId());
      for (int i = 0; i < proxies.size(); i++) {
        FirstById.Rows o = FirstById.features(cache.where(col("dataset").equalTo(proxies.get(i))),
            roles.valLimit(), d);
        oods.add(o.features());
        nOods[i] = o.count();
        proxyCounts.put(proxies.get(i), nOods[i]);
        lastIds.put(proxies.get(i), o.lastId());
        if (nOods[i] == 0) {
          throw new BadInputException("the feature cache has no images of the validation OOD proxy " + proxies.get(i)
              + "; rebuild the cache (leave out --reuse-features)");
        }
      }
      return sel;
    });
    double[] idSel = idSelRows.features();
    int nIdSel = idSelRows.count();
    if (nIdSel == 0) {
      throw new BadInputException("the feature cache has no images of the validation ID set " + roles.valId());
    }
    // Before the sweep: a threshold needs calibration images, the half of val-id the choice never sees.
    Dataset<Row> calibHalf = valId.filter(new ValidationSplit.SelectionHalf(false));
    long nCalib = Math.min(roles.valLimit(), calibHalf.count());
    if (nCalib < MIN_CALIBRATION) {
      throw new BadInputException("the calibration half of the validation ID set " + roles.valId() + " (by id) holds "
          + nCalib + " images; the threshold needs at least " + MIN_CALIBRATION + ": give more validation ID images");
    }
    lastIds.put(CALIBRATE, FirstById.lastId(calibHalf, roles.valLimit()));

    double[] weights = roles.proxyWeights();
    java.util.function.ToDoubleFunction<double[]> criterion = a -> settings.criterion().of(a, weights);
    long sweepStart = System.nanoTime();
    long sweepRows = nIdSel + java.util.Arrays.stream(nOods).asLongStream().sum();
    double estimate = PlanSweep.estimatedSeconds(grid.size(), head, sweepRows);
    boolean coordinate = settings.sweep() == EvaluateJob.SweepMode.COORDINATE
        || settings.sweep() == EvaluateJob.SweepMode.AUTO && estimate > AUTO_GRID_SECONDS;
    String sweepMode = coordinate ? "coordinate" : "grid";
    LOG.info("plan sweep: {} over {} ({} plans in the grid, estimated {} s for all on {} rows)", sweepMode,
        head.classes() + "x" + head.dim(), grid.size(), String.format("%.0f", estimate), sweepRows);
    List<PlanSweep.Point> sweep = times.time("OPNP plan sweep", StageTimes.Where.DRIVER, () -> coordinate
        ? PlanSweep.coordinate(sens, head, PlanSweep.axes(grid), idSel, nIdSel, oods, nOods, criterion)
        : PlanSweep.run(sens, head, grid, idSel, nIdSel, oods, nOods, criterion));
    PlanSweep.Point plan = PlanSweep.best(sweep);
    double sweepSeconds = (System.nanoTime() - sweepStart) / 1e9;
    LOG.info("plan sweep: {} plans on {} ID + {} proxies of {} images in {} s; best {} ({} AUROC {})", sweep.size(),
        nIdSel, proxies.size(), java.util.Arrays.toString(nOods), String.format("%.1f", sweepSeconds), plan.plan(),
        settings.criterion(), String.format("%.4f", plan.criterion()));
    List<DetectorSpec> specs = grid(plan.plan(), fit.bank(), head.classes());
    ArrayList<OodMethod> methods = times.time("fit " + specs.size() + " detector configurations",
        StageTimes.Where.DRIVER, () -> {
          // On the driver's cores at once: the fits are independent (shared parts are made once, see FittedState).
          return new ArrayList<>(specs.parallelStream().map(s -> s.build(head, fit, sens.temperature())).toList());
        });

    // Every configuration scores the same validation rows as the sweep, in one pass where the data is.
    List<String> datasets = new ArrayList<>(proxies);
    datasets.add(roles.valId());
    List<Tuple3<String, String, double[]>> rows = times.time("validation scoring", StageTimes.Where.EXECUTORS, () -> {
      Broadcast<ArrayList<OodMethod>> methodsB = jsc.broadcast(methods);
      try {
        Stages.describe(jsc, "opnp evaluate: " + methods.size() + " detector configurations on the validation data");
        return cache.where(col("dataset").isin(datasets.toArray())).select("id", "dataset", "features")
            .filter(new WithinLimit(roles.valId(), lastIds)).javaRDD()
            .mapPartitions(new ValidationPartition(methodsB, d)).collect();
      } finally {
        methodsB.destroy();
      }
    });
    Map<String, List<Tuple3<String, String, double[]>>> byDataset = new HashMap<>();
    for (Tuple3<String, String, double[]> r : rows) {
      byDataset.computeIfAbsent(key(r._1(), r._2(), roles.valId()), k -> new ArrayList<>()).add(r);
    }
    // The same rows as the sweep: the first valLimit by id of each side.
    byDataset.values().forEach(l -> l.sort(java.util.Comparator.comparing(Tuple3::_1)));
    byDataset.replaceAll((k, l) -> l.subList(0, Math.min(l.size(), roles.valLimit())));

    // Each configuration's scores by side (the select half of val-id, each proxy, the calibrate half).
    Map<String, double[][]> scores = new HashMap<>();
    byDataset.forEach((k, l) -> {
      double[][] byConfig = new double[specs.size()][];
      for (int m = 0; m < specs.size(); m++) {
        byConfig[m] = column(l, m);
      }
      scores.put(k, byConfig);
    });
    List<Candidate> candidates = new ArrayList<>();
    for (int m = 0; m < specs.size(); m++) {
      int config = m;
      candidates.add(candidate(specs.get(m), k -> scores.get(k)[config], proxies));
    }
    Eligibility eligibility = Eligibility.of(
        ClassCoverage.of(fit.stats().classCounts(), settings.minClassCoverage()), specs);
    if (!eligibility.leftOut().isEmpty()) {
      LOG.warn("{}; give training images of every class, or a minimum coverage of 0 when the ID data is only these "
          + "classes", eligibility.reason());
    }
    List<Candidate> eligible = candidates.stream().filter(eligibility::admits).toList();
    Selection ranked = Selection.select(proxies, weights, eligible, settings.criterion(), Method.ENERGY.key(),
        name -> Method.parse(name).usesPlan());
    // The members' criterion reads the user's own OOD sets when there are any: evidence, where proxies are a guess.
    boolean[] real = roles.realOod();
    int[] memberSets = java.util.stream.IntStream.range(0, real.length).filter(i -> real[i]).toArray();
    Fused fused = fuse(ranked, eligible, candidates, specs, scores, fit, head.classes(), settings.seed(),
        memberSets.length > 0 ? memberSets : java.util.stream.IntStream.range(0, real.length).toArray());
    boolean fusion = settings.rule() == ChoiceRule.FUSION;
    Selection selection = fusion ? ranked.recommending(fused.candidate()) : ranked;
    int chosen = candidates.indexOf(ranked.chosen());
    ChoiceSpread spread = times.time("choice uncertainty (paired bootstrap)", StageTimes.Where.DRIVER,
        () -> spread(ranked, candidates, scores, proxies, settings));
    double[] calibration = fusion ? fusedScores(fused, specs, scores, CALIBRATE) : scores.get(CALIBRATE)[chosen];
    FalseAlarmEstimate far = FalseAlarmBootstrap.interval(calibration, settings.keep(),
        settings.bootstrapResamples(), FalseAlarmBootstrap.DEFAULT_LEVEL, settings.seed());
    DetectorSpec bestOpnpReact = null;
    for (Candidate c : selection.ranking()) {
      if (c.method().equals(Method.OPNP_REACT.key())) {
        bestOpnpReact = specs.get(candidates.indexOf(c));
        break;
      }
    }
    LOG.info("recommended detector: {} ({} AUROC over {} proxies {}); threshold {} keeps {} % of ID, expected "
            + "false alarms {} % [{}, {}]; {}", selection.chosen().label(), settings.criterion(), proxies.size(),
        String.format("%.4f", selection.criterionOf(selection.chosen())), far.threshold(),
        100 * settings.keep(), String.format("%.2f", 100 * far.estimate()),
        String.format("%.2f", 100 * far.interval().lower()), String.format("%.2f", 100 * far.interval().upper()),
        Recommendation.pruningReason(selection));
    DetectorSpec chosenSpec = fusion ? fused.spec() : specs.get(chosen);
    OodMethod chosenMethod = fusion ? fused.spec().build(head, fused.fit(), sens.temperature()) : methods.get(chosen);
    return new Outcome(selection, chosenSpec, chosenMethod, far, calibration, sweep, plan, sweepSeconds,
        bestOpnpReact, nIdSel, proxyCounts, specs, sweepMode, spread, fused, eligibility);
  }

  /** A configuration's AUROC and FPR95 on each proxy against the select half of val-id. */
  private static Candidate candidate(DetectorSpec spec, java.util.function.Function<String, double[]> scores,
                                     List<String> proxies) {
    double[] id = scores.apply(SELECT);
    double[] aurocs = new double[proxies.size()];
    double[] fprs = new double[proxies.size()];
    for (int p = 0; p < proxies.size(); p++) {
      OodMetrics om = OodMetrics.of(id, scores.apply(proxies.get(p)));
      aurocs[p] = om.auroc();
      fprs[p] = om.fpr95();
    }
    return new Candidate(spec.method().key(), spec.setting(), aurocs, fprs);
  }

  /**
   * The fusion of the leading configuration of each of the first {@link ChoiceRule#FAMILIES} families, ranked by
   * {@link ChoiceRule#MEMBER_CRITERION} over {@code memberSets}, each at its method's defaults unless the data tells
   * them apart; its members' p-values referred to their scores on the select half of val-id; scored on the proxies
   * from the members' scores, as {@link Fusion} scores.
   */
  private static Fused fuse(Selection ranked, List<Candidate> eligible, List<Candidate> candidates,
                            List<DetectorSpec> specs, Map<String, double[][]> scores, FittedState fit, int classes,
                            long seed, int[] memberSets) {
    // Members by their worst validation OOD set: a member is there to cover what the others miss, so one that fails a
    // kind of OOD data outright is a poor hedge however good its mean (measured: BENCHMARKS.md, "Choosing the
    // detector"). The sets are the user's own when given, else the proxies.
    List<String> sets = java.util.stream.IntStream.of(memberSets).mapToObj(ranked.proxies()::get).toList();
    List<Candidate> byWorst = ranked.rankingOn(ChoiceRule.MEMBER_CRITERION, memberSets);
    List<Candidate> lead = FusionMembers.leaders(byWorst, m -> Method.parse(m).family(), ChoiceRule.FAMILIES);
    if (lead.size() < 2) {  // the grid always holds energy and ReAct, two families
      throw new IllegalStateException("the validation ranking holds one method family only: " + lead);
    }
    java.util.function.Function<Candidate, DetectorSpec> specOf = c -> specs.get(candidates.indexOf(c));
    List<FusionMembers.Choice> choices = FusionMembers.defaultsUnlessToldApart(lead,
        c -> eligible.stream().filter(o -> specOf.apply(o).effective(classes)
            .equals(specOf.apply(c).atDefaults().effective(classes))).findFirst(),
        (leader, atDefaults) -> !tied(List.of(leader, atDefaults), candidates, scores, sets, seed));
    choices.stream().filter(FusionMembers.Choice::atDefaults).forEach(ch -> LOG.info("fusion member {} at its "
        + "method's defaults in place of {}: the validation data cannot tell the two apart", ch.member().label(),
        ch.leader().label()));
    List<DetectorSpec> members = choices.stream().map(ch -> specOf.apply(ch.member())).toList();
    DetectorSpec spec = DetectorSpec.fusion(members);
    FittedState.Builder withReferences = fit.toBuilder();
    for (DetectorSpec m : members) {
      withReferences.reference(m.label(), scores.get(SELECT)[specs.indexOf(m)]);
    }
    Fused partial = new Fused(spec, null, withReferences.build(), choices, sets);
    Candidate c = candidate(spec, k -> fusedScores(partial, specs, scores, k), ranked.proxies());
    LOG.info("fusion of the leading families: {} ({} AUROC over the proxies {})", spec.label(),
        ranked.criterion(), String.format("%.4f", ranked.criterionOf(c)));
    return new Fused(spec, c, partial.fit(), choices, sets);
  }

  /**
   * Whether the paired bootstrap cannot tell the second configuration's {@link ChoiceRule#MEMBER_CRITERION} over the
   * given validation OOD sets from the first's.
   */
  private static boolean tied(List<Candidate> two, List<Candidate> candidates, Map<String, double[][]> scores,
                              List<String> sets, long seed) {
    var r = io.opnp.decision.ChoiceUncertainty.of(idScores(two, candidates, scores), oodScores(two, candidates,
        scores, sets), ChoiceRule.MEMBER_CRITERION, 0, ChoiceSpread.RESAMPLES, seed);
    return r.tied()[1];
  }

  /** Per configuration, its scores of the select half of val-id. */
  private static double[][] idScores(List<Candidate> configs, List<Candidate> candidates,
                                     Map<String, double[][]> scores) {
    return configs.stream().map(c -> scores.get(SELECT)[candidates.indexOf(c)]).toArray(double[][]::new);
  }

  /** Per configuration and proxy, its scores of that proxy's rows. */
  private static double[][][] oodScores(List<Candidate> configs, List<Candidate> candidates,
                                        Map<String, double[][]> scores, List<String> proxies) {
    return configs.stream().map(c -> proxies.stream().map(p -> scores.get(p)[candidates.indexOf(c)])
        .toArray(double[][]::new)).toArray(double[][][]::new);
  }

  /** The fusion's scores on one side, from its members' scores there. */
  private static double[] fusedScores(Fused f, List<DetectorSpec> specs, Map<String, double[][]> scores, String key) {
    List<double[]> member = new ArrayList<>();
    List<double[]> references = new ArrayList<>();
    for (DetectorSpec m : f.spec().members()) {
      member.add(scores.get(key)[specs.indexOf(m)]);
      references.add(f.fit().reference(m.label()));
    }
    return Fusion.combine(member, references, f.spec().combination());
  }


  /** The paired bootstrap over the ranking's leading single configurations ({@link ChoiceSpread}). */
  private static ChoiceSpread spread(Selection ranked, List<Candidate> candidates, Map<String, double[][]> scores,
                                     List<String> proxies, Settings settings) {
    List<Candidate> lead = ranked.ranking().subList(0, Math.min(ChoiceSpread.SHORTLIST, ranked.ranking().size()));
    var r = io.opnp.decision.ChoiceUncertainty.of(idScores(lead, candidates, scores), oodScores(lead, candidates,
        scores, proxies), settings.criterion(), ranked.weightArray(), 0, ChoiceSpread.RESAMPLES, settings.seed());
    return ChoiceSpread.of(lead.stream().map(Candidate::label).toList(), r);
  }

  /** The selection's configurations: {@link DetectorSpec#grid}. */
  static List<DetectorSpec> grid(PruningPercentages plan, io.opnp.methods.KnnBank bank, int classes) {
    return DetectorSpec.grid(plan, bank, classes);
  }

  private static double[] column(List<Tuple3<String, String, double[]>> rows, int m) {
    double[] out = new double[rows.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = rows.get(k)._3()[m];
    }
    return out;
  }

  /** The key of a validation row: its proxy, or which half of val-id it is in. */
  static String key(String id, String dataset, String valId) {
    return dataset.equals(valId) ? (ValidationSplit.forSelection(id) ? SELECT : CALIBRATE) : dataset;
  }

  /** Keeps the validation rows up to the last id taken of their side (the first valLimit by id). */
  static final class WithinLimit implements org.apache.spark.api.java.function.FilterFunction<Row> {
    private static final long serialVersionUID = 1L;
    private final String valId;
    private final HashMap<String, String> lastIds;

    WithinLimit(String valId, Map<String, String> lastIds) {
      this.valId = valId;
      this.lastIds = new HashMap<>(lastIds);
    }

    @Override
    public boolean call(Row r) {
      String id = r.getString(0);
      String last = lastIds.get(key(id, r.getString(1), valId));
      return last != null && io.opnp.data.IdOrder.compareIds(id, last) <= 0;
    }
  }

  /** (id, dataset, every configuration's score) per validation row. */
  static final class ValidationPartition implements FlatMapFunction<Iterator<Row>, Tuple3<String, String, double[]>> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ArrayList<OodMethod>> methods;
    private final int dim;

    ValidationPartition(Broadcast<ArrayList<OodMethod>> methods, int dim) {
      this.methods = methods;
      this.dim = dim;
    }

    @Override
    public Iterator<Tuple3<String, String, double[]>> call(Iterator<Row> rows) {
      List<OodMethod> ms = methods.value();
      return FeatureRows.mapBatches(rows, TrainingFit.BATCH, dim, "features", b -> {
        int n = b.n();
        double[][] byMethod = new double[ms.size()][n];
        OodMethods.scoreAll(ms, b.features(), n, byMethod);  // what configurations share is computed once
        List<Tuple3<String, String, double[]>> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
          double[] scores = new double[ms.size()];
          for (int m = 0; m < ms.size(); m++) {
            scores[m] = byMethod[m][k];
          }
          out.add(new Tuple3<>(b.rows().get(k).getString(0), b.rows().get(k).getString(1), scores));
        }
        return out;
      });
    }
  }
}
