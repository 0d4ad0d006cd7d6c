import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitAdjacency, csrColDegrees, csrRowDegrees, fromSignedCsr, signedDegrees, slotSign, toSignedCsr } from '../../src/graph/compact.js';
import { gaussianLayer } from './helpers.js';

const l = gaussianLayer(37, 23, 0.3, 61);
const [nIn, nOut] = l.shape;

test('signed CSR round-trips the dense weights exactly and splits edges by sign', () => {
  const csr = toSignedCsr(l.weights, nIn, nOut);
  assert.deepEqual(fromSignedCsr(csr), l.weights);
  assert.ok(csr.pos.w.every((x) => x > 0) && csr.neg.w.every((x) => x < 0));
  assert.equal(csr.pos.w.length + csr.neg.w.length, l.weights.filter((x) => x !== 0).length);
  for (let i = 0; i < nIn; i++) {
    for (let k = csr.pos.rowPtr[i]; k < csr.pos.rowPtr[i + 1]; k++) assert.equal(l.weights[i * nOut + csr.pos.col[k]], csr.pos.w[k]);
  }
});

test('CSR degrees agree with the signed degrees of the dense matrix', () => {
  const csr = toSignedCsr(l.weights, nIn, nOut);
  const d = signedDegrees(l.weights, nIn, nOut);
  assert.deepEqual(csrRowDegrees(csr.pos), d.inPos);
  assert.deepEqual(csrRowDegrees(csr.neg), d.inNeg);
  assert.deepEqual(csrColDegrees(csr.pos), d.outPos);
  assert.deepEqual(csrColDegrees(csr.neg), d.outNeg);
});

test('bit adjacency answers edge-exists for every slot and counts edges', () => {
  const a = BitAdjacency.fromWeights(l.weights, nIn, nOut);
  for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) assert.equal(a.has(i, j), l.weights[i * nOut + j] !== 0);
  assert.equal(a.count(), l.weights.filter((x) => x !== 0).length);
  a.delete(0, 0);
  assert.equal(a.has(0, 0), false);
  a.add(36, 22);
  assert.equal(a.has(36, 22), true);
  const s = slotSign(l.weights);
  assert.ok(s.every((x, k) => x === Math.sign(l.weights[k])));
});

test('a weight array that does not fit the shape is rejected', () => {
  assert.throws(() => toSignedCsr(l.weights, nIn + 1, nOut), RangeError);
});
