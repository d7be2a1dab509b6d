package io.opnp.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The named stages of a job in the order they ran, each with its wall time and where its work ran
 * (the driver's own threads, or Spark's executors): logged as each one ends, reported in
 * {@code metrics.json}, and watched by whoever measures (the scale benchmark's driver-heap probe).
 */
public final class StageTimes {
  private static final Logger LOG = LoggerFactory.getLogger(StageTimes.class);

  /** Where a stage's work runs. */
  public enum Where { DRIVER, EXECUTORS }

  /** One stage; {@code items} is how many it processed (e.g. images through the model), -1 when not counted. */
  public record Stage(String name, Where where, double seconds, long items) {
    public Stage(String name, Where where, double seconds) {
      this(name, where, seconds, -1);
    }
  }

  /** Told when each stage starts and ends (on the driver's thread). */
  public interface Observer {
    void started(String stage);

    void finished(Stage stage);
  }

  private final List<Stage> stages = new ArrayList<>();
  private final Observer observer;

  public StageTimes() {
    this(null);
  }

  public StageTimes(Observer observer) {
    this.observer = observer;
  }

  public <T> T time(String name, Where where, Supplier<T> work) {
    if (observer != null) {
      observer.started(name);
    }
    long start = System.nanoTime();
    T out = work.get();
    Stage s = new Stage(name, where, (System.nanoTime() - start) / 1e9);
    synchronized (stages) {
      stages.add(s);
    }
    LOG.info("stage '{}' ({}) done in {} s", name, where.name().toLowerCase(java.util.Locale.ROOT),
        String.format("%.1f", s.seconds()));
    if (observer != null) {
      observer.finished(s);
    }
    return out;
  }

  public void run(String name, Where where, Runnable work) {
    time(name, where, () -> {
      work.run();
      return null;
    });
  }

  /** Records how many items the last stage named {@code name} processed (its rate goes into metrics.json). */
  public void count(String name, long items) {
    synchronized (stages) {
      for (int i = stages.size() - 1; i >= 0; i--) {
        Stage s = stages.get(i);
        if (s.name().equals(name)) {
          stages.set(i, new Stage(s.name(), s.where(), s.seconds(), items));
          return;
        }
      }
    }
    throw new IllegalArgumentException("no stage named " + name);
  }

  public List<Stage> stages() {
    synchronized (stages) {
      return List.copyOf(stages);
    }
  }

  /** stage name → {where, seconds[, items, items_per_second]}, for metrics.json. */
  public java.util.Map<String, Object> json() {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (Stage s : stages()) {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("where", s.where().name().toLowerCase(java.util.Locale.ROOT));
      m.put("seconds", s.seconds());
      if (s.items() >= 0) {
        m.put("items", s.items());
        m.put("items_per_second", s.seconds() > 0 ? s.items() / s.seconds() : null);
      }
      out.put(s.name(), m);
    }
    return out;
  }
}
