package io.opnp.data;

import io.opnp.BadInputException;
import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A named image dataset on the command line: {@code name=format:path}, where format is
 * {@code idx} (images file; labels file found beside it when it exists, or given as {@code idx:images,labels}),
 * {@code parquet} (shards with an encoded {@code image} column, binary or Hugging Face's
 * struct&lt;bytes, path&gt;, and an integer {@code label}), {@code folder} (one sub-folder per class, labels by the
 * folders' sorted order, as torchvision's ImageFolder) or {@code indexed-folder} (sub-folders named by class index,
 * e.g. ImageNet's 000…999: label = the folder's name as a number, whichever folders are present).
 */
public record DatasetSpec(String name, Format format, String path, String labelsPath, boolean labelsExplicit)
    implements Serializable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

  public enum Format {
    IDX, PARQUET, FOLDER, INDEXED_FOLDER;

    /** As users write it: idx, parquet, folder, indexed-folder. */
    public String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether the images are files in class sub-folders. */
    public boolean isFolder() {
      return this == FOLDER || this == INDEXED_FOLDER;
    }

    static Format parse(String key) {
      for (Format f : values()) {
        if (f.key().equalsIgnoreCase(key)) {
          return f;
        }
      }
      return null;
    }
  }

  public DatasetSpec {
    checkName(name);
  }

  /** Returns {@code name} if it is a valid dataset name, else fails naming the rule. */
  public static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new BadInputException("dataset name '" + name + "' must be letters, digits, '_', '.' or '-'");
    }
    return name;
  }

  public static DatasetSpec parse(String text) {
    String usage = "; write it as name=format:path with format idx, parquet, folder or indexed-folder, "
        + "e.g. fashion-mnist=idx:/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    int eq = text.indexOf('=');
    int colon = text.indexOf(':', eq + 1);
    if (eq <= 0 || colon < 0) {
      throw new BadInputException("cannot parse dataset '" + text + "'" + usage);
    }
    String name = text.substring(0, eq);
    String fmt = text.substring(eq + 1, colon);
    String rest = text.substring(colon + 1);
    Format format = Format.parse(fmt);
    if (format == null) {
      throw new BadInputException("dataset '" + text + "' has unknown format '" + fmt.toLowerCase(Locale.ROOT) + "'" + usage);
    }
    if (rest.isEmpty()) {
      throw new BadInputException("dataset '" + text + "' has no path" + usage);
    }
    String labels = null;
    boolean explicit = false;
    if (format == Format.IDX) {
      int comma = rest.indexOf(',');
      if (comma >= 0) {
        labels = rest.substring(comma + 1);
        rest = rest.substring(0, comma);
        explicit = true;
      } else if (rest.contains("images-idx3")) {
        labels = rest.replace("images-idx3", "labels-idx1");  // used when it exists; unlabelled otherwise
      }
    }
    return new DatasetSpec(name, format, rest, labels, explicit);
  }

  @Override
  public String toString() {
    return name + "=" + format.key() + ":" + path + (labelsPath == null ? "" : "," + labelsPath);
  }
}
