/**
 * What a training engine is: the MLP it trains and the interface the epoch loop drives. Its own
 * file so that the loop (train-loop.ts) and the engines it builds (sparse-train.ts here, the tfjs
 * engine in mlp.ts) import it without importing each other.
 */
import type { DenseModel } from '../core/index.js';

export type HiddenActivation = 'relu' | 'sigmoid' | 'tanh';
export type Head = 'softmax' | 'sigmoid';

export interface MlpConfig {
  /** Inputs per image (784 for MNIST). */
  inputSize: number;
  /** Hidden layer widths, e.g. [64]. */
  hidden: number[];
  /** Activation of every hidden layer. */
  activation: HiddenActivation;
  /** `softmax`: 2 outputs, cross-entropy (the reference code); `sigmoid`: 1 output, binary cross-entropy. */
  head: Head;
}

/** One way of running training epochs (tfjs, or the sparse WASM engine of sparse-train.ts). */
export interface TrainEngine {
  /** One epoch over the images in `order`, in mini-batches, at learning rate `lr`; the mean batch loss. */
  epoch(order: Uint32Array, lr: number): number;
  /** The current weights as a DenseModel (copies). */
  snapshot(): DenseModel;
  dispose(): void;
}
