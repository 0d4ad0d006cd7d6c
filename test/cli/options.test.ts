/**
 * Numeric flags are plain decimals: what `Number()` would silently turn into a value ('' → 0,
 * '0x10' → 16, '0.5,,' → [0.5, 0, 0]) is an error instead.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { fraction, intList, nonNegativeInt, numberList, numberValue, positiveInt, positiveNumber, seedValue } from '../../src/cli/options.js';

const rejects = (f: (v: string) => unknown, value: string): void => {
  assert.throws(() => f(value), InvalidArgumentError, `${f.name}(${JSON.stringify(value)}) must be rejected`);
};

test('empty, blank, hex, binary, octal, Infinity and NaN are rejected by every numeric flag', () => {
  for (const f of [positiveInt, nonNegativeInt, seedValue, positiveNumber, fraction, numberValue]) {
    for (const bad of ['', ' ', '0x10', '0b1', '0o7', 'Infinity', 'NaN', '1 2', '1,2', 'one']) rejects(f, bad);
  }
  for (const f of [positiveInt, nonNegativeInt, seedValue]) for (const bad of ['1.5', '1e3', '-1']) rejects(f, bad);
  rejects(seedValue, '4294967296');
  rejects(positiveInt, '0');
  rejects(positiveInt, '9007199254740993');
});

test('plain decimals are read as written', () => {
  assert.equal(seedValue('16'), 16);
  assert.equal(seedValue(' 4294967295 '), 4294967295);
  assert.equal(nonNegativeInt('0'), 0);
  assert.equal(positiveNumber('1e-3'), 0.001);
  assert.equal(positiveNumber('.5'), 0.5);
  assert.equal(fraction('0.25'), 0.25);
  assert.equal(numberValue('-2.5E1'), -25);
});

test('lists: every item must be present and valid', () => {
  assert.deepEqual(numberList('0,0.5, 0.9'), [0, 0.5, 0.9]);
  assert.deepEqual(intList('64,32'), [64, 32]);
  for (const bad of ['', '0.5,,', ',0.5', '0.5,', ' , ', '0.5,x', '0x10']) rejects(numberList, bad);
  for (const bad of ['', '64,,32', '64,0', '64,1.5']) rejects(intList, bad);
});
