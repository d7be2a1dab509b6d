package io.opnp.methods;

import io.opnp.math.Check;

/**
 * How each {@link Method.Need}'s fitted state is saved and restored: one {@link Part} per kind, so that a
 * saved detector holds the parts its method needs by the need's key and nothing else knows their layout.
 */
public final class StateParts {
  private StateParts() {}

  /** One need's share of a {@link FittedState}. */
  public interface Part {
    /** Writes what {@code spec}'s method needs of {@code state}; fails naming what is missing. */
    void save(FittedState state, DetectorSpec spec, StateStore.Out out);

    /** Restores what {@link #save} wrote into {@code into}. */
    void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into);
  }

  /** One slice of the training statistics: class counts, mean, class means and, when kept, the second moment. */
  static Part stats(TrainingSums.Slice slice) {
    return new Part() {
      @Override
      public void save(FittedState state, DetectorSpec spec, StateStore.Out out) {
        FeatureStats s = state.training() == null ? null : slice.of(state.training());
        Check.argument(s != null, "method %s needs the %s training statistics, which were not fitted",
            spec.method().key(), slice.name().toLowerCase(java.util.Locale.ROOT));
        out.integer("classes", s.classes());
        out.integer("dim", s.dim());
        out.integer("count", s.count());
        out.number("mean_max_logit", s.meanMaxLogit());
        out.integer("has_second_moment", s.hasSecondMoments() ? 1 : 0);
        long[] counts = s.classCounts();
        double[] c = new double[counts.length];
        for (int i = 0; i < c.length; i++) {
          c[i] = counts[i];
        }
        out.array("class_counts", c);
        out.array("mean", s.mean());
        out.array("class_means", s.classMeans());
        if (s.hasSecondMoments()) {
          out.array("second_moment", s.secondMoment());
        }
      }

      @Override
      public void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into) {
        int classes = (int) in.integer("classes");
        int dim = (int) in.integer("dim");
        double[] c = in.array("class_counts", classes);
        long[] counts = new long[classes];
        for (int i = 0; i < classes; i++) {
          counts[i] = (long) c[i];
        }
        double[] second = in.integer("has_second_moment") == 1 ? in.array("second_moment", (long) dim * dim) : null;
        into.training(slice, FeatureStats.restore(classes, dim, in.integer("count"), counts, in.array("mean", dim),
            in.array("class_means", (long) classes * dim), second, in.number("mean_max_logit")));
      }
    };
  }

  /** ReAct's clip value at the spec's percentile. */
  static final Part REACT = new Part() {
    @Override
    public void save(FittedState state, DetectorSpec spec, StateStore.Out out) {
      double p = spec.reactPercentile();
      out.number("percentile", p);
      out.number("clip", state.reactThreshold(p));
    }

    @Override
    public void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into) {
      into.react(new double[] {in.number("percentile")}, new double[] {in.number("clip")});
    }
  };

  /** ViM's subspace (origin, then the residual basis) and the mean training residual norm. */
  static final Part VIM = new Part() {
    @Override
    public void save(FittedState state, DetectorSpec spec, StateStore.Out out) {
      VimSubspace v = state.vim();
      Check.argument(v != null, "method %s needs ViM's fitted subspace", spec.method().key());
      out.integer("dim", v.dim());
      out.integer("principal_dim", v.principalDim());
      out.number("mean_residual", state.vimMeanResidual());
      out.array("subspace", v.origin(), v.residualRows());
    }

    @Override
    public void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into) {
      int dim = (int) in.integer("dim");
      int d = (int) in.integer("principal_dim");
      Check.argument(dim > 0 && d >= 0 && d < dim, "saved ViM subspace has dimension %s and principal dimension %s",
          dim, d);
      double[] all = in.array("subspace", (long) (dim - d + 1) * dim);
      into.vim(VimSubspace.restore(dim, d, java.util.Arrays.copyOfRange(all, 0, dim),
          java.util.Arrays.copyOfRange(all, dim, all.length)), in.number("mean_residual"));
    }
  };

  /** The KNN bank's normalized rows and the training-set size it was sampled from. */
  static final Part BANK = new Part() {
    @Override
    public void save(FittedState state, DetectorSpec spec, StateStore.Out out) {
      KnnBank b = state.bank();
      Check.argument(b != null, "method %s needs the KNN bank", spec.method().key());
      out.integer("size", b.size());
      out.integer("dim", b.dim());
      out.integer("training_rows", b.trainingRows());
      out.array("rows", b.normalizedRows());
    }

    @Override
    public void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into) {
      int m = (int) in.integer("size");
      int d = (int) in.integer("dim");
      into.bank(KnnBank.restore(in.array("rows", (long) m * d), m, d, in.integer("training_rows")));
    }
  };

  /** NNGuide's guides. */
  static final Part GUIDES = new Part() {
    @Override
    public void save(FittedState state, DetectorSpec spec, StateStore.Out out) {
      GuideBank g = state.guides();
      Check.argument(g != null, "method %s needs NNGuide's guides", spec.method().key());
      out.integer("size", g.size());
      out.integer("dim", g.dim());
      out.array("guides", g.guides());
    }

    @Override
    public void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into) {
      int m = (int) in.integer("size");
      int d = (int) in.integer("dim");
      into.guides(GuideBank.restore(in.array("guides", (long) m * d), m, d));
    }
  };

  /** A fusion's members' held-out ID scores, sorted, in the members' order. */
  static final Part REFERENCES = new Part() {
    @Override
    public void save(FittedState state, DetectorSpec spec, StateStore.Out out) {
      out.integer("members", spec.members().size());
      for (int i = 0; i < spec.members().size(); i++) {
        double[] r = state.reference(spec.members().get(i).label());
        java.util.Arrays.sort(r);
        out.integer("member_" + i + "_size", r.length);
        out.array("member_" + i, r);
      }
    }

    @Override
    public void load(StateStore.In in, DetectorSpec spec, FittedState.Builder into) {
      long n = in.integer("members");
      Check.argument(n == spec.members().size(), "%s reference score sets saved for %s members", n,
          spec.members().size());
      for (int i = 0; i < n; i++) {
        into.reference(spec.members().get(i).label(), in.array("member_" + i, in.integer("member_" + i + "_size")));
      }
    }
  };
}
