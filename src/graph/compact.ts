/**
 * Compact typed-array forms of a dense layer, for hot loops (null models, statistics).
 *
 * graphology is the interoperable form (export, viewer) but costs ~300 bytes an edge and a Map
 * lookup per access; the loops that touch every edge millions of times work on these instead:
 *
 * - `SignedCsr`: per-sign compressed sparse rows (the idea of graphology-indices' CSR
 *   neighbourhood index, built straight from the weight matrix): the positive edges of input
 *   unit i are `pos.col[pos.rowPtr[i] .. pos.rowPtr[i + 1])` with weights in `pos.w`, the same
 *   for `neg`. Rows are input units, columns output units, as in the layer record.
 * - `BitAdjacency`: one bit per slot (nIn × nOut), an O(1) "does this edge exist" check at
 *   1/32 of the memory of a Float32Array.
 * - `slotSign`: the three-state {+1, −1, 0} view of a weight matrix (0 = no edge / pruned).
 */
import { unitStats } from '../stats/degrees.js';

/** One sign's edges in compressed sparse row form. */
export interface Csr {
  nIn: number;
  nOut: number;
  /** Length nIn + 1: the edges of input unit i are at rowPtr[i] … rowPtr[i + 1] − 1. */
  rowPtr: Uint32Array;
  /** Output unit of each edge, ascending within a row. */
  col: Uint32Array;
  /** Weight of each edge. */
  w: Float32Array;
}

/** A layer split by sign: positive edges and negative edges, each as CSR. Zeros are absent. */
export interface SignedCsr {
  nIn: number;
  nOut: number;
  pos: Csr;
  neg: Csr;
}

/** Build one CSR from the entries of a row-major [nIn, nOut] matrix that pass `keep`. */
function csrWhere(weights: Float32Array, nIn: number, nOut: number, keep: (x: number) => boolean): Csr {
  const rowPtr = new Uint32Array(nIn + 1);
  let m = 0;
  for (let i = 0; i < nIn; i++) {
    const base = i * nOut;
    for (let j = 0; j < nOut; j++) if (keep(weights[base + j])) m++;
    rowPtr[i + 1] = m;
  }
  const col = new Uint32Array(m);
  const w = new Float32Array(m);
  let k = 0;
  for (let i = 0; i < nIn; i++) {
    const base = i * nOut;
    for (let j = 0; j < nOut; j++) {
      const x = weights[base + j];
      if (keep(x)) {
        col[k] = j;
        w[k++] = x;
      }
    }
  }
  return { nIn, nOut, rowPtr, col, w };
}

/** Dense row-major weights → positive and negative CSR. */
export function toSignedCsr(weights: Float32Array, nIn: number, nOut: number): SignedCsr {
  checkShape(weights, nIn, nOut);
  return {
    nIn,
    nOut,
    pos: csrWhere(weights, nIn, nOut, (x) => x > 0),
    neg: csrWhere(weights, nIn, nOut, (x) => x < 0),
  };
}

/** Positive and negative CSR → dense row-major weights (every other slot 0). */
export function fromSignedCsr(csr: SignedCsr): Float32Array {
  const out = new Float32Array(csr.nIn * csr.nOut);
  for (const part of [csr.pos, csr.neg]) {
    for (let i = 0; i < csr.nIn; i++) {
      const base = i * csr.nOut;
      for (let k = part.rowPtr[i]; k < part.rowPtr[i + 1]; k++) out[base + part.col[k]] = part.w[k];
    }
  }
  return out;
}

/** Out-degree of every input unit (row) of one CSR. */
export function csrRowDegrees(csr: Csr): Uint32Array {
  const d = new Uint32Array(csr.nIn);
  for (let i = 0; i < csr.nIn; i++) d[i] = csr.rowPtr[i + 1] - csr.rowPtr[i];
  return d;
}

/** In-degree of every output unit (column) of one CSR. */
export function csrColDegrees(csr: Csr): Uint32Array {
  const d = new Uint32Array(csr.nOut);
  for (let k = 0; k < csr.col.length; k++) d[csr.col[k]]++;
  return d;
}

/** The three-state view: +1 for a positive weight, −1 for a negative one, 0 for no edge. */
export function slotSign(weights: Float32Array): Int8Array {
  const s = new Int8Array(weights.length);
  for (let k = 0; k < weights.length; k++) s[k] = weights[k] > 0 ? 1 : weights[k] < 0 ? -1 : 0;
  return s;
}

/** Signed degrees of every unit: k+ and k− of each input unit (row) and output unit (column). */
export interface SignedDegrees {
  inPos: Uint32Array;
  inNeg: Uint32Array;
  outPos: Uint32Array;
  outNeg: Uint32Array;
}

/** k± of every unit in the compact naming; the counting itself is stats' unitStats (one implementation). */
export function signedDegrees(weights: Float32Array, nIn: number, nOut: number): SignedDegrees {
  checkShape(weights, nIn, nOut);
  const u = unitStats({ name: 'degrees', weights, shape: [nIn, nOut], bias: null });
  return { inPos: u.in.kPlus, inNeg: u.in.kMinus, outPos: u.out.kPlus, outNeg: u.out.kMinus };
}

/**
 * One bit per slot of an nIn × nOut matrix: O(1) edge-exists checks, 1 bit a slot.
 * Slot (i, j) is bit i * nOut + j, the same index as in the weight array.
 */
export class BitAdjacency {
  readonly nIn: number;
  readonly nOut: number;
  readonly bits: Uint32Array;

  constructor(nIn: number, nOut: number) {
    this.nIn = nIn;
    this.nOut = nOut;
    this.bits = new Uint32Array(Math.ceil((nIn * nOut) / 32));
  }

  /** Set the bit of every slot whose weight passes `keep` (default: non-zero). */
  static fromWeights(weights: Float32Array, nIn: number, nOut: number, keep: (x: number) => boolean = (x) => x !== 0): BitAdjacency {
    checkShape(weights, nIn, nOut);
    const a = new BitAdjacency(nIn, nOut);
    for (let k = 0; k < weights.length; k++) if (keep(weights[k])) a.bits[k >>> 5] |= 1 << (k & 31);
    return a;
  }

  has(i: number, j: number): boolean {
    return this.hasSlot(i * this.nOut + j);
  }
  hasSlot(k: number): boolean {
    return (this.bits[k >>> 5] & (1 << (k & 31))) !== 0;
  }
  add(i: number, j: number): void {
    this.addSlot(i * this.nOut + j);
  }
  addSlot(k: number): void {
    this.bits[k >>> 5] |= 1 << (k & 31);
  }
  delete(i: number, j: number): void {
    this.deleteSlot(i * this.nOut + j);
  }
  deleteSlot(k: number): void {
    this.bits[k >>> 5] &= ~(1 << (k & 31));
  }
  /** Number of set bits. */
  count(): number {
    let n = 0;
    for (let k = 0; k < this.bits.length; k++) {
      let v = this.bits[k];
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    return n;
  }
}

function checkShape(weights: Float32Array, nIn: number, nOut: number): void {
  if (weights.length !== nIn * nOut) {
    throw new RangeError(`weights of length ${weights.length} do not fit shape [${nIn}, ${nOut}]`);
  }
}
