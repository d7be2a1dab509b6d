package io.opnp.io;

import io.opnp.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each JVM's content-addressed store of models: {@code <store>/<key>/M.pt} (and {@code M.json},
 * its card), where the key names the pair by their SHA-256 ({@link ModelRef#key()}). The driver
 * {@link #stage stages} the model from wherever the user keeps it (a local file, HDFS, S3, ...),
 * hashing exactly the bytes it copies; executors {@link #adopt adopt} the copies Spark shipped
 * them, checking both hashes before the first batch. A file changed at the same path is a new key,
 * so nothing stale is ever loaded. The store is {@code opnp.model.store}, else
 * {@code <java.io.tmpdir>/opnp-models-<user>}; entries are kept across jobs (a few hundred MB per
 * ImageNet model) and may be deleted whenever no job runs.
 */
public final class ModelStaging {
  private static final Logger LOG = LoggerFactory.getLogger(ModelStaging.class);
  private static final ConcurrentHashMap<String, Path> LOCAL = new ConcurrentHashMap<>();

  private ModelStaging() {}

  static Path store() {
    String dir = System.getProperty("opnp.model.store");
    if (dir == null || dir.isBlank()) {
      dir = System.getProperty("java.io.tmpdir") + "/opnp-models-" + System.getProperty("user.name", "user");
    }
    try {
      return Files.createDirectories(Path.of(dir));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the model store " + dir + " (set -Dopnp.model.store)", e);
    }
  }

  /** Copies the model at {@code location} and its card beside it into this JVM's store; returns its identity. */
  public static ModelRef stage(String location, Configuration conf) {
    Storage.requireFile(location, "model file", conf);
    String name = Storage.fileName(location);
    Path store = store();
    Path incoming = store.resolve(".incoming-" + UUID.randomUUID());
    try {
      Files.createDirectories(incoming);
      String sha;
      try (InputStream in = Storage.open(location, conf)) {
        sha = Hashes.copyHashing(in, incoming.resolve(name));
      }
      String cardLocation = Storage.sibling(location, new ModelRef(location, name, sha, null).cardName());
      String cardSha = null;
      if (Storage.file(cardLocation, conf) != null) {
        try (InputStream in = Storage.open(cardLocation, conf)) {
          cardSha = Hashes.copyHashing(in, incoming.resolve(Storage.fileName(cardLocation)));
        }
      }
      ModelRef ref = new ModelRef(location, name, sha, cardSha);
      LOCAL.put(ref.key(), install(incoming, store.resolve(ref.key()), ref));
      return ref;
    } catch (IOException e) {
      throw new BadInputException("cannot read model file " + location + ": " + e.getMessage(), e);
    } finally {
      deleteTree(incoming);
    }
  }

  /** This JVM's copy of the model, when it staged or adopted it. */
  public static Optional<Path> local(ModelRef ref) {
    return Optional.ofNullable(LOCAL.get(ref.key()));
  }

  /**
   * On an executor: checks the copies Spark shipped against the driver's hashes and puts them in this
   * JVM's store. A mismatch stops the task, naming this node and both hashes.
   */
  public static Path adopt(ModelRef ref, Path shippedModel, Path shippedCard) {
    return LOCAL.computeIfAbsent(ref.key(), k -> {
      Path store = store();
      Path incoming = store.resolve(".incoming-" + UUID.randomUUID());
      try {
        Files.createDirectories(incoming);
        check(ref, ref.name(), ref.sha256(), copy(shippedModel, incoming.resolve(ref.name()), ref));
        if (ref.hasCard()) {
          check(ref, ref.cardName(), ref.cardSha256(), copy(shippedCard, incoming.resolve(ref.cardName()), ref));
        }
        Path model = install(incoming, store.resolve(k), ref);
        LOG.info("model {} (sha256 {}) verified on {} and stored at {}", ref.name(), ref.sha256(), host(), model);
        return model;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot store model " + ref.name() + " in " + store, e);
      } finally {
        deleteTree(incoming);
      }
    });
  }

  /**
   * The driver's files to hand to Spark's {@code addFile}, under their content-unique names
   * ({@link ModelRef#shippedName()}): hard links into the store's {@code ship/} folder.
   */
  public static Path[] shippable(ModelRef ref) {
    Path model = local(ref).orElseThrow(() -> new IllegalStateException("model " + ref.name() + " was not staged"));
    Path ship = store().resolve("ship");
    try {
      Files.createDirectories(ship);
      Path m = link(model, ship.resolve(ref.shippedName()));
      return ref.hasCard() ? new Path[] {m, link(model.resolveSibling(ref.cardName()),
          ship.resolve(ref.shippedCardName()))} : new Path[] {m};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare model " + ref.name() + " for shipping in " + ship, e);
    }
  }

  private static String copy(Path from, Path to, ModelRef ref) throws IOException {
    if (from == null || !Files.isRegularFile(from)) {
      throw new BadInputException("model " + ref.name() + " (sha256 " + ref.sha256() + ") did not reach " + host()
          + " (no shipped file " + from + "); the driver ships it with Spark's addFile before a job uses it");
    }
    try (InputStream in = Files.newInputStream(from)) {
      return Hashes.copyHashing(in, to);
    }
  }

  private static void check(ModelRef ref, String file, String expected, String actual) {
    if (!expected.equals(actual)) {
      throw new BadInputException("the copy of " + file + " on " + host() + " has sha256 " + actual + " but the driver's "
          + "has sha256 " + expected + " (model " + ref.location() + "): a different or stale file reached this node; "
          + "nothing was scored. Run again; if it persists, clear Spark's file cache on that node");
    }
  }

  /** Moves a complete {@code incoming} folder into place as {@code dir}, or keeps an intact one there. */
  private static Path install(Path incoming, Path dir, ModelRef ref) throws IOException {
    if (Files.isDirectory(dir) && intact(dir, ref)) {
      return dir.resolve(ref.name());
    }
    deleteTree(dir);
    try {
      Files.move(incoming, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
      if (!intact(dir, ref)) {
        throw new IOException("another process left an inconsistent copy in " + dir, raced);
      }
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the model store " + dir.getParent() + " must allow atomic renames", e);
    }
    return dir.resolve(ref.name());
  }

  private static boolean intact(Path dir, ModelRef ref) {
    Path m = dir.resolve(ref.name());
    Path c = dir.resolve(ref.cardName());
    return Files.isRegularFile(m) && ref.sha256().equals(Hashes.sha256(m))
        && (ref.hasCard() ? Files.isRegularFile(c) && ref.cardSha256().equals(Hashes.sha256(c)) : !Files.exists(c));
  }

  private static Path link(Path target, Path link) throws IOException {
    if (Files.isRegularFile(link) && Files.isSameFile(target, link)) {
      return link;
    }
    Path tmp = link.resolveSibling(".link-" + UUID.randomUUID());
    try {
      Files.createLink(tmp, target);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(target, tmp);
    }
    Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return link;
  }

  static String host() {
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    String id = env == null ? "?" : env.executorId();
    String name;
    try {
      name = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      name = "unknown host";
    }
    return "executor " + id + " on " + name;
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("could not delete {}: {}", dir, e.toString());
    }
  }
}
