/**
 * The seam between model-file formats and the rest of weightscope. A reader turns a file
 * (safetensors, ONNX, Keras, npz, …) into named tensors plus the hints only that format knows
 * (how a tensor is used, its orientation); the inventory turns tensors into layer records; a
 * writer puts modified tensors back in the file's own format and dtypes.
 */

/** Element types read from model files; values are computed in float32 (float64 stays float64). */
export type TensorDType = 'F16' | 'BF16' | 'F32' | 'F64';

/** What a format knows about how a tensor is used (ONNX: the consuming op; Keras: the layer class). */
export interface TensorHint {
  /** e.g. `dense`, `conv`, `attention.q`, `attention.qkv`, `ffn.in`, `embedding`, `norm`, `bias`. */
  kind?: string;
  /**
   * Which axis of a 2-D weight is the input side: `in-out` (tfjs/Keras Dense kernel, ONNX MatMul B,
   * Gemm B without transB) or `out-in` (PyTorch Linear, Gemm B with transB = 1).
   */
  orientation?: 'in-out' | 'out-in';
  /** The layer (op or module) this tensor belongs to, when the format names it. */
  layer?: string;
}

export interface RawTensor {
  name: string;
  dtype: TensorDType;
  shape: number[];
  /** The values decoded to float32 (F64 tensors may give float64); row-major in `shape`. */
  values(): Float32Array | Float64Array;
  hint?: TensorHint;
}

export type ModelFormat = 'safetensors' | 'onnx' | 'keras' | 'npz' | 'npy' | 'tfjs' | 'gexf' | 'graphml' | 'tagger';

/** Layer graphs weightscope exports and reads back (src/formats/graph-file.ts). */
export const GRAPH_FILE_EXTENSIONS = ['.gexf', '.graphml'] as const;

export interface ModelFile {
  format: ModelFormat;
  /** The path the user gave (file or folder). */
  path: string;
  tensors: RawTensor[];
  /**
   * Write the model to `out` in its own format with the named tensors replaced (values in the
   * tensor's own shape and layout, converted back to its original dtype); tensors not named are
   * copied byte for byte, so writing with no replacements reproduces the file exactly.
   */
  write(out: string, replaced: ReadonlyMap<string, Float32Array | Float64Array>): void;
}
