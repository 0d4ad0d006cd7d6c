import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultBrownDir, readBrown, splitBrown, universalTag, nameTag, taggingScores, buildVocabulary, encodeSentence, chunkSentence,
  entityScores, predictMostFrequent, unknownWordTag, taskScores,
} from '../../src/data/brown.js';
import { UserError } from '../../src/core/errors.js';

test('Brown tags map to the universal set, suffixes and compounds included (hand-checked against the Brown manual)', () => {
  const cases: [string, string][] = [
    ['nn', 'NOUN'], ['nn-tl', 'NOUN'], ['nns$-tl-hl', 'NOUN'], ['np$', 'NOUN'], ['vbd', 'VERB'], ['bedz*', 'VERB'], ['do*-hl', 'VERB'],
    ['md*', 'VERB'], ['ppss+md', 'PRON'], ['*', 'ADV'], ['fw-nn', 'X'], ['fw-in+at-t', 'X'], ['at', 'DET'], ['ex', 'DET'],
    ['cs', 'ADP'], ['to', 'PRT'], ['rp', 'PRT'], ['od', 'ADJ'], ['cd-tl', 'NUM'], ['--', '.'], ['---hl', '.'], ['.-hl', '.'], ["''", '.'],
    ['pp$$', 'PRON'], ['wdt+bez', 'DET'], ['ql', 'ADV'], ['uh', 'X'], ['nil', 'X'],
  ];
  for (const [brown, u] of cases) assert.equal(universalTag(brown), u, brown);
  assert.equal(universalTag('zz'), null);
  assert.equal(nameTag('np-tl'), 'NAME');
  assert.equal(nameTag('nps$'), 'NAME');
  assert.equal(nameTag('nn'), 'OTHER');
});

test('the corpus package: 500 files, every token mapped, split by file stratified by genre', () => {
  const files = readBrown();
  assert.equal(files.length, 500);
  assert.equal(files[0].sentences[0].words[1], 'Fulton');
  assert.equal(files[0].sentences[0].brownTags[1], 'np-tl');
  const { train, test: held } = splitBrown(files);
  assert.equal(train.length + held.length, 500);
  assert.deepEqual(new Set(held.map((f) => f.genre)), new Set(files.map((f) => f.genre)));
  assert.ok(!held.some((f) => train.includes(f)));
  // within a genre every fifth file: news (44 files) holds out ca05, ca10, …, ca40
  assert.deepEqual(held.filter((f) => f.genre === 'a').map((f) => f.id), ['ca05', 'ca10', 'ca15', 'ca20', 'ca25', 'ca30', 'ca35', 'ca40']);
});

test('a folder in the wrong format gets one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-brown-'));
  assert.throws(() => readBrown(dir), (e: unknown) => e instanceof UserError && /not a Brown corpus folder/.test(e.message) && !e.message.includes('\n'));
  writeFileSync(join(dir, 'ca01'), '\n\tThe/at jury said/vbd\n');
  assert.throws(() => readBrown(dir), (e: unknown) => e instanceof UserError && /line 2: token 'jury' is not word\/tag/.test(e.message));
  const ok = mkdtempSync(join(tmpdir(), 'ws-brown-'));
  copyFileSync(join(defaultBrownDir(), 'cb02'), join(ok, 'cb02'));
  assert.equal(readBrown(ok).length, 1);
});

test('unknown words share bucket 0; long sentences are cut into pieces that cover every token once', () => {
  const s = { words: ['The', 'cat', 'sat', 'zyzzyva'], brownTags: ['at', 'nn', 'vbd', 'nn'] };
  const vocab = buildVocabulary([s, { words: ['the', 'cat'], brownTags: ['at', 'nn'] }], 2);
  const e = encodeSentence(s, vocab, 'upos');
  assert.equal(e.word[0], vocab.words.get('the'));
  assert.equal(e.word[2], 0);
  assert.equal(e.word[3], 0);
  assert.deepEqual([...e.tag], [5, 0, 1, 0]);
  const pieces = chunkSentence(e, 3);
  assert.deepEqual(pieces.map((p) => p.tag.length), [3, 1]);
  assert.deepEqual([...pieces[0].tag, ...pieces[1].tag], [...e.tag]);
});

test('accuracy and macro-F1 match a hand-worked example', () => {
  // gold 0 0 1 2, predicted 0 1 1 1: class 0 F1 = 2·1/(2+0+1) = 2/3; class 1 = 2/(2+2+0) = 1/2; class 2 = 0
  const s = taggingScores([[0, 0, 1, 2]], [[0, 1, 1, 1]], 4);
  assert.equal(s.accuracy, 0.5);
  assert.ok(Math.abs(s.f1 - (2 / 3 + 1 / 2 + 0) / 3) < 1e-12);
});

test('the lexicon holds every training word with its most frequent tag; the baseline falls back to the hapaxes\' tag', () => {
  // "run": VERB twice, NOUN once → VERB; "zyzzyva" and "xu" seen once as NOUN (hapaxes) and "the" (DET) 3 times
  const train = [
    { words: ['The', 'run', 'zyzzyva'], brownTags: ['at', 'nn', 'nn'] },
    { words: ['they', 'run', 'the', 'xu'], brownTags: ['ppss', 'vb', 'at', 'nn'] },
    { words: ['we', 'run', 'the'], brownTags: ['ppss', 'vb', 'at'] },
  ];
  const vocab = buildVocabulary(train, 3);
  assert.equal(vocab.lexicon.get('run'), 1); // VERB
  assert.equal(vocab.lexicon.get('zyzzyva'), 0); // NOUN, though outside the word vocabulary (seen once)
  assert.equal(vocab.words.get('zyzzyva'), undefined);
  const e = encodeSentence({ words: ['Run', 'zyzzyva', 'qwerty'], brownTags: ['vb', 'nn', 'nn'] }, vocab, 'upos');
  assert.deepEqual([...e.lexicon], [2, 1, 0]); // 1 + tag index; 0 = never seen
  // hapaxes: zyzzyva NOUN, xu NOUN, they PRON, we PRON → tie NOUN vs PRON goes to the earlier tag, NOUN
  assert.equal(unknownWordTag(train, 'upos'), 0);
  assert.deepEqual([...predictMostFrequent(e, 4)], [1, 0, 4]);
  // the names task has its own lexicon
  assert.equal(buildVocabulary([{ words: ['Smith', 'ran'], brownTags: ['np', 'vbd'] }], 1, 'names').lexicon.get('smith'), 0);
});

test('entity F1 counts exact spans only (conlleval), hand-worked', () => {
  // tag 0 = NAME. gold spans: [0,2) [3,4) | [1,2); predicted: [0,2) [3,5) | [1,2) [3,4)
  const gold = [[0, 0, 1, 0, 1], [1, 0, 1, 1]];
  const pred = [[0, 0, 1, 0, 0], [1, 0, 1, 0]];
  const s = entityScores(gold, pred, 0);
  assert.equal(s.gold, 3);
  assert.equal(s.predicted, 4);
  // hits: [0,2) and [1,2) → precision 2/4, recall 2/3, F1 = 2·(1/2)(2/3)/(1/2 + 2/3) = 4/7
  assert.ok(Math.abs(s.f1 - 4 / 7) < 1e-12);
  assert.equal(taskScores('names', gold, pred).entityF1, s.f1);
  assert.equal(taskScores('upos', gold, pred).entityF1, undefined);
});
