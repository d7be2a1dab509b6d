package io.opnp.model;

import io.opnp.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The engines a model file runs on, told apart by the file's first bytes, not its name: a
 * TorchScript archive is a zip file ({@code PK\3\4}); an ONNX model is a protobuf {@code ModelProto}
 * whose first field is {@code ir_version} (field 1, a varint: byte {@code 0x08}).
 */
public enum ModelEngine {
  PYTORCH("PyTorch", "TorchScript"),
  ONNX_RUNTIME("OnnxRuntime", "ONNX");

  private final String djlName;
  private final String format;

  ModelEngine(String djlName, String format) {
    this.djlName = djlName;
    this.format = format;
  }

  /** DJL's name for the engine ({@code Criteria.optEngine}). */
  public String djlName() {
    return djlName;
  }

  /** The file format it runs. */
  public String format() {
    return format;
  }

  /** The engine of the model in {@code file}, from its content. */
  public static ModelEngine of(Path file) {
    byte[] head = new byte[4];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new BadInputException("cannot read the model file " + file + ": " + e.getMessage(), e);
    }
    if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      return PYTORCH;
    }
    if (n > 0 && head[0] == 0x08) {
      return ONNX_RUNTIME;
    }
    throw new BadInputException("model file " + file + " is neither a TorchScript archive (a zip file) nor an ONNX "
        + "model (a protobuf ModelProto); export it with torch.jit.trace(...).save(path) or torch.onnx.export "
        + "(see README, 'Model contract')");
  }
}
