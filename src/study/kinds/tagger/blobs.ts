/**
 * Blobs of the tagger study (blobs.ts' safetensors encoding): packed sentences (the training,
 * evaluation and test sets) and trained taggers. Tensor names are those of the tagger's own files
 * (model/transformer/files.ts): `<layer>/kernel`, `<layer>/bias`, `<norm>/gamma`, `<norm>/beta`;
 * the configuration is in the metadata. The bytes are a pure function of the value.
 */
import { UserError } from '../../../core/errors.js';
import { initTransformer, type Batch, type TransformerConfig, type TransformerModel } from '../../../model/transformer/model.js';
import { decodeBlob, encodeBlob, type BlobTensor } from '../../blobs.js';

const TAGGER_KIND = 'weightscope-tagger';
const SENTENCES_KIND = 'weightscope-sentences';
const BATCH_FIELDS = ['word', 'suffix', 'shape', 'lexicon', 'tag', 'starts'] as const;

export function serializeSentences(batch: Batch): Uint8Array {
  return encodeBlob(BATCH_FIELDS.map((f) => ({ name: f, dtype: 'I32', shape: [batch[f].length], data: batch[f] })), { kind: SENTENCES_KIND });
}

export function deserializeSentences(bytes: Uint8Array): Batch {
  const { tensors } = decodeBlob(bytes, SENTENCES_KIND);
  const field = (f: (typeof BATCH_FIELDS)[number]): Int32Array => {
    const t = tensors.get(f);
    if (!t || t.dtype !== 'I32') throw new UserError(`corrupt sentences blob: no I32 tensor '${f}'`);
    return new Int32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
  };
  const batch = Object.fromEntries(BATCH_FIELDS.map((f) => [f, field(f)])) as unknown as Batch;
  const n = batch.word.length;
  if ([batch.suffix, batch.shape, batch.lexicon, batch.tag].some((a) => a.length !== n) || batch.starts[batch.starts.length - 1] !== n) {
    throw new UserError('corrupt sentences blob: its token arrays do not match');
  }
  return batch;
}

function tensorsOf(model: TransformerModel): BlobTensor[] {
  const out: BlobTensor[] = [];
  for (const l of model.layers) {
    out.push({ name: `${l.name}/kernel`, dtype: 'F32', shape: [...l.shape], data: l.weights });
    if (l.bias) out.push({ name: `${l.name}/bias`, dtype: 'F32', shape: [l.bias.length], data: l.bias });
  }
  for (const n of model.norms) {
    out.push({ name: `${n.name}/gamma`, dtype: 'F32', shape: [n.gamma.length], data: n.gamma });
    out.push({ name: `${n.name}/beta`, dtype: 'F32', shape: [n.beta.length], data: n.beta });
  }
  return out;
}

export function serializeTagger(model: TransformerModel): Uint8Array {
  return encodeBlob(tensorsOf(model), { kind: TAGGER_KIND, config: JSON.stringify(model.config) });
}

export function deserializeTagger(bytes: Uint8Array): TransformerModel {
  const { tensors, metadata } = decodeBlob(bytes, TAGGER_KIND);
  let config: TransformerConfig;
  try {
    config = JSON.parse(metadata.config ?? '');
  } catch {
    throw new UserError('corrupt tagger blob: its configuration is not JSON');
  }
  // The architecture's tensors, in place: the blob must hold each one, of its shape.
  const model = initTransformer(config, 0);
  for (const want of tensorsOf(model)) {
    const t = tensors.get(want.name);
    if (!t || t.dtype !== 'F32' || t.shape.join('x') !== want.shape.join('x')) throw new UserError(`corrupt tagger blob: no F32 tensor '${want.name}' [${want.shape}]`);
    (want.data as Float32Array).set(new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4));
  }
  return model;
}
