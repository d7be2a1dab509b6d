package io.opnp.data;

import io.opnp.BadInputException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Every file under a folder dataset's root, listed once on the driver and accounted for: images
 * (by extension, the formats torchvision's {@code ImageFolder} reads), hidden entries (a name
 * starting with {@code .} or {@code _}, as Spark's file sources skip them), other files (ignored,
 * counted, a few named) and symbolic-link cycles (each reported once, never followed round).
 * Local folders are walked with java.nio, which follows links and detects cycles and takes any file
 * name (a {@code :} included, which Hadoop's local file system cannot open); other file systems are
 * listed through Hadoop's {@code FileSystem}. Immutable.
 */
public final class FolderListing {
  /** File-name extensions read as images, lower case. */
  public static final List<String> IMAGE_EXTENSIONS =
      List.of("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff", "ppm", "pgm", "pbm", "pnm");
  private static final Set<String> EXTENSIONS = Set.copyOf(IMAGE_EXTENSIONS);
  private static final int EXAMPLES = 5;

  /** One image file: its id (the Hadoop path, as Spark's file sources name files), the URI to read, its class. */
  public record Image(String id, String uri, Long label) implements Serializable {}

  /**
   * What the listing left out: {@code ignored} files that are no image (a few named), {@code hidden}
   * entries, and the {@code cycles} (symbolic links leading back to a folder above them).
   */
  public record Inventory(int images, int ignored, List<String> ignoredExamples, int hidden, List<String> cycles) {
    public Inventory {
      ignoredExamples = List.copyOf(ignoredExamples);
      cycles = List.copyOf(cycles);
    }

    /** One line for logs and summaries. */
    public String describe() {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%,d image file(s)", images));
      if (ignored > 0) {
        sb.append(String.format(Locale.ROOT, "; %,d other file(s) ignored (not %s: e.g. %s)", ignored,
            String.join("/", IMAGE_EXTENSIONS), String.join(", ", ignoredExamples)));
      }
      if (hidden > 0) {
        sb.append(String.format(Locale.ROOT, "; %,d hidden entr%s (names starting with . or _) skipped", hidden,
            hidden == 1 ? "y" : "ies"));
      }
      if (!cycles.isEmpty()) {
        sb.append(String.format(Locale.ROOT, "; %d symbolic-link cycle(s) not followed: %s", cycles.size(),
            String.join(", ", cycles)));
      }
      return sb.toString();
    }
  }

  private final List<String> classes;
  private final List<Image> images;
  private final Inventory inventory;

  private FolderListing(List<String> classes, List<Image> images, Inventory inventory) {
    this.classes = List.copyOf(classes);
    this.images = Collections.unmodifiableList(images);
    this.inventory = inventory;
  }

  /** The class folders, sorted: class index i is {@code classes().get(i)}. */
  public List<String> classes() {
    return classes;
  }

  /** The images, sorted by id (ids in {@link IdOrder}). */
  public List<Image> images() {
    return images;
  }

  public Inventory inventory() {
    return inventory;
  }

  /** Whether a file name is taken as an image. */
  public static boolean isImage(String name) {
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  /** A Hadoop glob matching {@link #isImage} names, for Spark's file sources. */
  public static String glob() {
    return IMAGE_EXTENSIONS.stream().flatMap(e -> java.util.stream.Stream.of(e, e.toUpperCase(Locale.ROOT)))
        .collect(Collectors.joining(",", "*.{", "}"));
  }

  private static long classIndex(String folder, String root, String what) {
    try {
      long v = Long.parseLong(folder);
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new BadInputException(what + ": class folder '" + folder + "' under " + root + " is not a class index (a "
        + "number such as 000 or 217); an indexed-folder dataset names its sub-folders by class index, else read it as "
        + "folder:PATH (labels by sorted folder order)");
  }

  private static boolean hidden(String name) {
    return name.startsWith(".") || name.startsWith("_");
  }

  /** {@link #list(String, Configuration, String, boolean)} with labels by the folders' sorted order. */
  public static FolderListing list(String root, Configuration conf, String what) {
    return list(root, conf, what, false);
  }

  /**
   * Lists the folder at {@code root} (a Hadoop URI or a local path).
   *
   * @param what names the dataset in error messages
   * @param labelsFromNames a class folder's label is its name as a number (ImageNet's 000…999), not its position
   */
  public static FolderListing list(String root, Configuration conf, String what, boolean labelsFromNames) {
    Path rootPath = io.opnp.io.Storage.path(root);
    try {
      FileSystem fs = io.opnp.io.Storage.fileSystem(rootPath, conf);
      Path qualified = fs.makeQualified(rootPath);
      List<String> classes = new ArrayList<>();
      for (FileStatus s : fs.listStatus(qualified)) {
        if (s.isDirectory() && !hidden(s.getPath().getName())) {
          classes.add(s.getPath().getName());
        }
      }
      Collections.sort(classes);
      if (classes.isEmpty()) {
        throw new BadInputException(what + ": folder " + root + " has no class sub-folders; put the images in one "
            + "sub-folder per class (e.g. " + root + "/0/a.png)");
      }
      Map<String, Long> index = new HashMap<>();
      for (int i = 0; i < classes.size(); i++) {
        index.put(classes.get(i), labelsFromNames ? classIndex(classes.get(i), root, what) : (long) i);
      }
      Builder b = new Builder(index);
      if ("file".equals(qualified.toUri().getScheme())) {
        walkLocal(java.nio.file.Path.of(qualified.toUri()), b);
      } else {
        listHadoop(fs, qualified, b);
      }
      b.images.sort((x, y) -> IdOrder.compareIds(x.id(), y.id()));
      return new FolderListing(classes, b.images,
          new Inventory(b.images.size(), b.ignored, b.ignoredExamples, b.hidden, b.cycles));
    } catch (IOException e) {
      throw new BadInputException(what + ": cannot list " + root + " (" + e.getMessage() + "); check that it is a "
          + "readable folder", e);
    }
  }

  /** The first {@code n} images in id order, the rest of the listing unchanged. */
  public FolderListing first(int n) {
    if (n >= images.size()) {
      return this;
    }
    return new FolderListing(classes, new ArrayList<>(images.subList(0, n)), inventory);
  }

  private static final class Builder {
    final Map<String, Long> classes;
    final List<Image> images = new ArrayList<>();
    final List<String> ignoredExamples = new ArrayList<>();
    final List<String> cycles = new ArrayList<>();
    int ignored;
    int hidden;

    Builder(Map<String, Long> classes) {
      this.classes = classes;
    }

    /** A file at {@code relative} (segments below the root). */
    void file(List<String> relative, String id, String uri) {
      String name = relative.get(relative.size() - 1);
      if (hidden(name)) {
        hidden++;
      } else if (isImage(name)) {
        images.add(new Image(id, uri, relative.size() > 1 ? classes.get(relative.get(0)) : null));
      } else {
        ignored++;
        if (ignoredExamples.size() < EXAMPLES) {
          ignoredExamples.add(String.join("/", relative));
        }
      }
    }
  }

  private static void walkLocal(java.nio.file.Path root, Builder b) throws IOException {
    Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(java.nio.file.Path dir, BasicFileAttributes attrs) {
        if (!dir.equals(root) && hidden(dir.getFileName().toString())) {
          b.hidden++;
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(java.nio.file.Path file, BasicFileAttributes attrs) {
        // A dangling link comes with the link's own attributes: listed, its read fails with the reason.
        if (attrs.isRegularFile() || attrs.isSymbolicLink()) {
          b.file(relative(root, file), new Path(file.toUri()).toString(), file.toUri().toString());
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(java.nio.file.Path file, IOException e) throws IOException {
        if (e instanceof FileSystemLoopException) {
          b.cycles.add(root.relativize(file).toString());
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }
    });
  }

  private static List<String> relative(java.nio.file.Path root, java.nio.file.Path file) {
    List<String> rel = new ArrayList<>();
    root.relativize(file).forEach(p -> rel.add(p.toString()));
    return rel;
  }

  private static void listHadoop(FileSystem fs, Path root, Builder b) throws IOException {
    String prefix = root.toUri().getPath().endsWith("/") ? root.toUri().getPath() : root.toUri().getPath() + "/";
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      LocatedFileStatus s = it.next();
      String path = s.getPath().toUri().getPath();
      if (!path.startsWith(prefix)) {
        continue;
      }
      List<String> rel = List.of(path.substring(prefix.length()).split("/"));
      boolean inHiddenFolder = false;
      for (int i = 0; i < rel.size() - 1; i++) {
        inHiddenFolder |= hidden(rel.get(i));
      }
      if (inHiddenFolder) {
        b.hidden++;
      } else {
        b.file(rel, s.getPath().toString(), s.getPath().toUri().toString());
      }
    }
  }
}
