package io.opnp.model;

import io.opnp.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Named initializers (constant tensors) of an ONNX model, read from the file: ONNX Runtime's API runs
 * a graph but does not hand its weights back, and the job needs the head's W and b. Reads the
 * protobuf wire format directly, only the fields on the path ModelProto.graph (7) → GraphProto.initializer (5)
 * → TensorProto {dims 1, data_type 2, float_data 4, name 8, raw_data 9, double_data 10, data_location 14};
 * a second protobuf runtime beside Spark's and Hadoop's own (shaded, of other versions) would be more
 * to carry than these few lines.
 */
public final class OnnxInitializers {
  /** TensorProto.DataType values read here. */
  private static final int FLOAT = 1;
  private static final int DOUBLE = 11;

  /** An initializer: its shape and its values as float32 (the precision the model computes in at most). */
  public record Tensor(String name, long[] dims, float[] values) {
    public String describe() {
      return name + " " + Arrays.toString(dims);
    }
  }

  /**
   * @param tensors the wanted initializers found
   * @param matrices every 2-D initializer as "name [rows, cols]", for error messages naming the candidates
   */
  public record Found(Map<String, Tensor> tensors, List<String> matrices) {}

  private OnnxInitializers() {}

  /** The initializers of {@code file} named in {@code wanted} (values decoded only for those). */
  public static Found read(Path file, Set<String> wanted) {
    ByteBuffer all;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (ch.size() > Integer.MAX_VALUE) {
        throw new BadInputException("ONNX model " + file + " is over 2 GiB; protobuf cannot hold it in one file. Save "
            + "it with its weights inside (export in float16 or a smaller model)");
      }
      all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    } catch (IOException e) {
      throw new BadInputException("cannot read the ONNX model " + file + ": " + e.getMessage(), e);
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    List<String> matrices = new ArrayList<>();
    try {
      Wire model = new Wire(all);
      while (model.more()) {
        int tag = model.tag();
        if (field(tag) == 7 && wireType(tag) == 2) {
          Wire graph = new Wire(model.bytes());
          while (graph.more()) {
            int g = graph.tag();
            if (field(g) == 5 && wireType(g) == 2) {
              Tensor t = tensor(graph.bytes(), wanted, file);
              if (t.dims().length == 2) {
                matrices.add(t.describe());
              }
              if (t.values() != null) {
                tensors.put(t.name(), t);
              }
            } else {
              graph.skip(g);
            }
          }
        } else {
          model.skip(tag);
        }
      }
    } catch (RuntimeException e) {
      if (e instanceof BadInputException b) {
        throw b;
      }
      throw new BadInputException("ONNX model " + file + " is not a valid protobuf ModelProto (" + e + "); "
          + "export it again with torch.onnx.export", e);
    }
    return new Found(tensors, matrices);
  }

  private static Tensor tensor(ByteBuffer b, Set<String> wanted, Path file) {
    Wire w = new Wire(b);
    List<Long> dims = new ArrayList<>();
    int type = 0;
    String name = "";
    ByteBuffer raw = null;
    ByteBuffer floats = null;
    ByteBuffer doubles = null;
    boolean external = false;
    while (w.more()) {
      int tag = w.tag();
      switch (field(tag)) {
        case 1 -> {
          if (wireType(tag) == 2) {  // packed
            Wire p = new Wire(w.bytes());
            while (p.more()) {
              dims.add(p.varint());
            }
          } else {
            dims.add(w.varint());
          }
        }
        case 2 -> type = (int) w.varint();
        case 4 -> floats = w.packed(tag);
        case 8 -> name = java.nio.charset.StandardCharsets.UTF_8.decode(w.bytes()).toString();
        case 9 -> raw = w.bytes();
        case 10 -> doubles = w.packed(tag);
        case 14 -> external = w.varint() == 1;
        default -> w.skip(tag);
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    if (!wanted.contains(name)) {
      return new Tensor(name, shape, null);
    }
    if (external) {
      throw new BadInputException("ONNX model " + file + " keeps initializer '" + name + "' in an external data file; "
          + "export it with its weights inside the .onnx file (torch.onnx.export does for models under 2 GiB)");
    }
    long count = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
    float[] values = new float[Math.toIntExact(count)];
    ByteBuffer src = raw != null ? raw : type == DOUBLE ? doubles : floats;
    if (src == null) {
      src = ByteBuffer.allocate(0);
    }
    src.order(ByteOrder.LITTLE_ENDIAN);
    int width = switch (type) {
      case FLOAT -> 4;
      case DOUBLE -> 8;
      default -> throw new BadInputException("ONNX model " + file + ": initializer '" + name + "' has ONNX data type "
          + type + "; ONNX models run in float32 here (the input is float32): export the model with model.float()");
    };
    if (src.remaining() != count * width) {
      throw new BadInputException(String.format("ONNX model %s: initializer '%s' of shape %s holds %d bytes, not the "
          + "%d its shape needs", file, name, Arrays.toString(shape), src.remaining(), count * width));
    }
    for (int i = 0; i < values.length; i++) {
      values[i] = type == FLOAT ? src.getFloat() : (float) src.getDouble();
    }
    return new Tensor(name, shape, values);
  }

  private static int field(int tag) {
    return tag >>> 3;
  }

  private static int wireType(int tag) {
    return tag & 7;
  }

  /** A cursor over one protobuf message. */
  private static final class Wire {
    private final ByteBuffer b;

    Wire(ByteBuffer b) {
      this.b = b.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean more() {
      return b.hasRemaining();
    }

    int tag() {
      return Math.toIntExact(varint());
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte x = b.get();
        v |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return v;
        }
      }
      throw new IllegalStateException("varint longer than 10 bytes at " + b.position());
    }

    ByteBuffer bytes() {
      int n = Math.toIntExact(varint());
      if (n < 0 || n > b.remaining()) {
        throw new IllegalStateException("length " + n + " past the end of its message at " + b.position());
      }
      ByteBuffer s = b.slice(b.position(), n);
      b.position(b.position() + n);
      return s;
    }

    /** A packed repeated field (ONNX declares float_data and double_data packed). */
    ByteBuffer packed(int tag) {
      if (wireType(tag) != 2) {
        throw new IllegalStateException("unpacked repeated field " + field(tag));
      }
      return bytes();
    }

    void skip(int tag) {
      switch (wireType(tag)) {
        case 0 -> varint();
        case 1 -> b.position(b.position() + 8);
        case 2 -> bytes();
        case 5 -> b.position(b.position() + 4);
        default -> throw new IllegalStateException("wire type " + wireType(tag) + " (groups are not used by ONNX)");
      }
    }
  }
}
