package io.opnp.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * One job's outputs under a directory, staged and committed together: every output is checked writable before any
 * work, written into one hidden staging directory beside them, and moved into place by {@link #commit()} in the order
 * declared (the last one, e.g. {@code metrics.json}, marks the run complete); {@link #close()} removes whatever was
 * not committed, so a failed run leaves no half-written output. The one place jobs stage and commit.
 */
public final class StagedOutputs implements AutoCloseable {
  private final Configuration conf;
  private final String output;
  private final boolean overwrite;
  private final String staging;
  private final List<String> names;

  /**
   * @param names the outputs under {@code output}, in commit order; each is replaced only when {@code overwrite}
   */
  public StagedOutputs(Configuration conf, String output, List<String> names, boolean overwrite) {
    io.opnp.math.Check.argument(names != null && !names.isEmpty(), "a job needs at least one output");
    this.conf = conf;
    this.output = output;
    this.overwrite = overwrite;
    this.names = List.copyOf(names);
    for (String n : this.names) {
      Outputs.checkWritable(conf, target(n), overwrite);
    }
    this.staging = Outputs.staging(output + "/" + this.names.get(0));
  }

  /** Where the job writes output {@code name} before the commit. */
  public String path(String name) {
    io.opnp.math.Check.argument(names.contains(name), "%s is not one of this job's outputs %s", name, names);
    return staging + "/" + name;
  }

  /** The staging directory (outputs are written under it by their names). */
  public String root() {
    return staging;
  }

  /** Where output {@code name} ends up. */
  public String target(String name) {
    return output + "/" + name;
  }

  /** The outputs' final paths, by name. */
  public Map<String, String> targets() {
    Map<String, String> out = new LinkedHashMap<>();
    names.forEach(n -> out.put(n, target(n)));
    return out;
  }

  /**
   * Moves each written output into place, in the declared order; outputs the job did not write are skipped. When
   * overwriting, the last output is deleted first, so a run that dies half-way through the commit is not mistaken
   * for a complete one.
   */
  public void commit() {
    List<String> written = new ArrayList<>();
    for (String n : names) {
      if (Outputs.exists(conf, path(n))) {
        written.add(n);
      }
    }
    if (overwrite && !written.isEmpty()) {
      Outputs.delete(conf, target(written.get(written.size() - 1)));
    }
    for (String n : written) {
      Outputs.commit(conf, path(n), target(n), overwrite);
    }
  }

  /** Removes the staging directory and anything left in it. */
  @Override
  public void close() {
    Outputs.abort(conf, staging);
  }
}
