/**
 * The test inputs in the sparse form the evaluator and the exact first layer read: its own module so
 * that delta-eval.ts (which evaluator.ts imports) needs nothing from evaluator.ts.
 */
export interface SparseInputs {
  n: number;
  /** Inputs per image. */
  d: number;
  /** CSR row pointers: image k's entries are [rowPtr[k], rowPtr[k+1]). */
  rowPtr: Uint32Array;
  /** Pixel index of each entry. */
  col: Uint32Array;
  /** scale·(p − mode) of each entry. */
  val: Float32Array;
  /** p − mode of each entry (an integer, −255…255): the exact first layer's inputs (delta-eval.ts). */
  q: Int16Array;
  /** The scaled mode value x(m_i) of each pixel, folded into the first layer's bias. */
  baseX: Float32Array;
  /** The input scaling's step per pixel unit (val = f32(q·scale)). */
  scale: number;
  labels: Uint8Array;
}
