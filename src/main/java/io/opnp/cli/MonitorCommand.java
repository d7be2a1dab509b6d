package io.opnp.cli;

import io.opnp.BadInputException;
import io.opnp.detect.Detector;
import io.opnp.detect.StreamingMonitor;
import io.opnp.spark.Sessions;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = "Watch a directory with a saved detector (Spark Structured Streaming): score new Parquet shards or "
        + "image files as they arrive into OUTPUT/scores/, one monitoring row per micro-batch into OUTPUT/monitor/ "
        + "(OOD rate, 95 % interval, alert); restartable from --checkpoint without loss or duplicates.")
final class MonitorCommand implements Callable<Integer> {
  @Mixin
  DetectorOptions run;

  @Option(names = "--watch", required = true, description = "directory where new data arrives")
  String watch;

  @Option(names = "--format", defaultValue = "parquet", description = "parquet (shards with an image column) or "
      + "files (image files) (default: ${DEFAULT-VALUE})")
  String format;

  @Option(names = "--output", required = true, description = "directory for scores/ and monitor/")
  String output;

  @Option(names = "--checkpoint", required = true, description = "Spark checkpoint directory (keep it to resume)")
  String checkpoint;

  @Option(names = "--trigger-seconds", defaultValue = "10", description = "seconds between micro-batches; 0 = "
      + "process what is there now and stop (default: ${DEFAULT-VALUE})")
  double triggerSeconds;

  @Option(names = "--max-files-per-trigger", defaultValue = "100", description = "files per micro-batch at most")
  int maxFiles;

  @Option(names = "--run-seconds", defaultValue = "0", description = "stop after this long (0 = until killed)")
  double runSeconds;

  @Option(names = "--on-bad-image", defaultValue = "skip", description = "skip (default: null scores, counted) or fail")
  JobOptions.BadImagePolicy onBadImage;

  @Option(names = "--on-bad-shard", defaultValue = "quarantine", description = "what a shard (or image file) that "
      + "cannot be read does: quarantine (default: set aside, named with its reason in the batch's monitoring row, "
      + "the stream goes on) or fail (the stream stops, naming it)")
  StreamingMonitor.OnBadShard onBadShard;

  @Override
  public Integer call() throws Exception {
    StreamingMonitor.Format f;
    try {
      f = StreamingMonitor.Format.valueOf(format.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--format must be parquet or files, got '" + format + "'", e);
    }
    SparkSession spark = Sessions.getOrCreate(run.master, "opnp-monitor");
    DetectorOptions.Loaded loaded = run.load(spark, onBadImage == JobOptions.BadImagePolicy.skip);
    Detector d = loaded.detector();
    StreamingQuery q = StreamingMonitor.start(spark, d, loaded.cfg(), watch, f, output, checkpoint,
        (long) (1000 * triggerSeconds), maxFiles, onBadShard);
    System.out.printf(Locale.ROOT, "opnp monitor: watching %s with %s (threshold %.6g); scores in %s/scores, "
        + "monitoring rows in %s/monitor%n", watch, d.spec().label(), d.threshold(), output, output);
    if (runSeconds > 0) {
      q.awaitTermination((long) (1000 * runSeconds));
      q.stop();
    } else {
      q.awaitTermination();
    }
    if (q.exception().isDefined()) {
      throw q.exception().get();
    }
    System.out.printf("opnp monitor: stopped; resume with the same --checkpoint%n");
    return 0;
  }
}
