/**
 * The same encoder's forward pass written with plain tfjs ops on a padded [B, T] batch with a
 * padding mask: an independent implementation the packed Float32Array engine is tested against,
 * and the "plain tfjs forward pass" of the bench.
 */
import * as tf from '@tensorflow/tfjs';
import type { SentenceInput, TransformerModel } from './model.js';

export interface PaddedBatch {
  word: Int32Array;
  suffix: Int32Array;
  shape: Int32Array;
  lexicon: Int32Array;
  /** 1 for a real token, 0 for padding; [B·T]. */
  mask: Float32Array;
  b: number;
  t: number;
}

/** Pad sentences to the longest (or to `t`) with id 0 and mask 0. */
export function padBatch(sentences: SentenceInput[], t = Math.max(...sentences.map((s) => s.word.length))): PaddedBatch {
  const b = sentences.length;
  const out: PaddedBatch = { word: new Int32Array(b * t), suffix: new Int32Array(b * t), shape: new Int32Array(b * t), lexicon: new Int32Array(b * t), mask: new Float32Array(b * t), b, t };
  sentences.forEach((s, k) => {
    for (let i = 0; i < s.word.length; i++) {
      out.word[k * t + i] = s.word[i];
      out.suffix[k * t + i] = s.suffix[i];
      out.shape[k * t + i] = s.shape[i];
      out.lexicon[k * t + i] = s.lexicon[i];
      out.mask[k * t + i] = 1;
    }
  });
  return out;
}

/** Logits [B, T, tags] of a padded batch (rows of padding positions are garbage by design). */
export function tfjsForward(model: TransformerModel, batch: PaddedBatch): tf.Tensor3D {
  const c = model.config;
  const L = new Map(model.layers.map((l) => [l.name, l]));
  const N = new Map(model.norms.map((l) => [l.name, l]));
  const { b, t } = batch;
  const d = c.dim;
  const dh = d / c.heads;
  return tf.tidy(() => {
    const w = (name: string) => tf.tensor2d(L.get(name)!.weights, L.get(name)!.shape);
    const bias = (name: string) => tf.tensor1d(L.get(name)!.bias!);
    const dense = (x: tf.Tensor3D, name: string): tf.Tensor3D => {
      const [nIn, nOut] = L.get(name)!.shape;
      return tf.add(tf.matMul(x.reshape([b * t, nIn]), w(name)), bias(name)).reshape([b, t, nOut]) as tf.Tensor3D;
    };
    const norm = (x: tf.Tensor3D, name: string): tf.Tensor3D => {
      const { mean, variance } = tf.moments(x, -1, true);
      const p = N.get(name)!;
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), tf.tensor1d(p.gamma)), tf.tensor1d(p.beta)) as tf.Tensor3D;
    };
    const ids = (a: Int32Array) => tf.tensor1d(a, 'int32');
    const positions = tf.tensor1d(Int32Array.from({ length: b * t }, (_, k) => k % t), 'int32');
    let x = tf.addN([
      tf.gather(w('embed.word'), ids(batch.word)),
      tf.gather(w('embed.suffix'), ids(batch.suffix)),
      tf.gather(w('embed.shape'), ids(batch.shape)),
      tf.gather(w('embed.lexicon'), ids(batch.lexicon)),
      tf.gather(w('embed.position'), positions),
    ]).reshape([b, t, d]) as tf.Tensor3D;
    // additive key mask: −1e9 where the key is padding
    const keyMask = tf.mul(tf.sub(1, tf.tensor2d(batch.mask, [b, t])), -1e9).reshape([b, 1, 1, t]);
    const heads = (y: tf.Tensor3D) => y.reshape([b, t, c.heads, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
    for (let k = 0; k < c.blocks; k++) {
      const p = `block${k}`;
      const h = norm(x, `${p}.norm1`);
      const q = heads(dense(h, `${p}.attn.q`));
      const kk = heads(dense(h, `${p}.attn.k`));
      const v = heads(dense(h, `${p}.attn.v`));
      const scores = tf.add(tf.mul(tf.matMul(q, kk, false, true), 1 / Math.sqrt(dh)), keyMask);
      const att = tf.matMul(tf.softmax(scores), v).transpose([0, 2, 1, 3]).reshape([b, t, d]) as tf.Tensor3D;
      x = tf.add(x, dense(att, `${p}.attn.o`));
      const f = tf.relu(dense(norm(x, `${p}.norm2`), `${p}.ffn.in`)) as tf.Tensor3D;
      x = tf.add(x, dense(f, `${p}.ffn.out`));
    }
    return dense(norm(x, 'final.norm'), 'head');
  });
}
