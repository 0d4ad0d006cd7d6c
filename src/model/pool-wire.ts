/**
 * How the evaluator pool sends models to its workers (internal to pool.ts and eval-worker.ts): a
 * chunk's weights packed into one float buffer that is transferred to the worker and back.
 */
import type { DenseModel, LayerRecord } from '../core/index.js';
import type { ProbedModel } from './evaluator.js';

/** A layer in a packed message: its arrays are [offset, length) floats of the message's buffer. */
export interface PackedLayer {
  name: string;
  shape: [number, number];
  activation: LayerRecord['activation'];
  weights: [number, number];
  bias: [number, number] | null;
}
export type PackedModel = { layers: PackedLayer[] } | { layers: PackedLayer[] }[];

/** Floats a chunk of models needs in one packed buffer. */
export function packedFloats(models: ProbedModel[]): number {
  let total = 0;
  for (const m of models) for (const one of Array.isArray(m) ? m : [m]) for (const l of one.layers) total += l.weights.length + (l.bias?.length ?? 0);
  return total;
}

/**
 * Copy a chunk's models into one float buffer (one copy, one transfer, and the buffer comes back
 * with the answer to be reused, so no fresh memory is touched per chunk); the worker reads them as
 * views (unpackModels).
 */
export function packModels(models: ProbedModel[], into: Float32Array): PackedModel[] {
  let at = 0;
  const put = (a: Float32Array): [number, number] => {
    into.set(a, at);
    at += a.length;
    return [at - a.length, a.length];
  };
  const one = (m: DenseModel) => ({
    layers: m.layers.map((l) => ({ name: l.name, shape: [l.shape[0], l.shape[1]] as [number, number], activation: l.activation, weights: put(l.weights), bias: l.bias ? put(l.bias) : null })),
  });
  return models.map((m) => (Array.isArray(m) ? m.map(one) : one(m)));
}

/** Worker side of packModels: models whose arrays are views of `buffer` (valid until it is sent back). */
export function unpackModels(models: PackedModel[], buffer: ArrayBuffer): ProbedModel[] {
  const one = (m: { layers: PackedLayer[] }): DenseModel => ({
    layers: m.layers.map((l) => ({
      name: l.name,
      shape: l.shape,
      activation: l.activation,
      weights: new Float32Array(buffer, l.weights[0] * 4, l.weights[1]),
      bias: l.bias ? new Float32Array(buffer, l.bias[0] * 4, l.bias[1]) : null,
    })),
  });
  return models.map((m) => (Array.isArray(m) ? m.map(one) : one(m)));
}

