/**
 * Dataset names, class names and task names. Pure and browser-safe (no Node imports), so the
 * viewer can label classes and tasks without pulling in the file readers.
 */
import { UserError } from '../core/errors.js';

export const DATASETS = ['mnist', 'fashion'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Human-readable class names, indexed by label 0–9. */
export const CLASS_NAMES: Record<DatasetName, readonly string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  fashion: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

export const N_CLASSES = 10;

export function checkDatasetName(name: string): DatasetName {
  if (!(DATASETS as readonly string[]).includes(name)) {
    throw new UserError(`unknown dataset '${name}' (known: ${DATASETS.join(', ')})`);
  }
  return name as DatasetName;
}

/** `mnist-0v7`: the task's name in result rows, folders and reports. */
export function taskName(dataset: DatasetName, a: number, b: number): string {
  return `${dataset}-${a}v${b}`;
}

/**
 * The inverse of taskName: `mnist-0v7` → { dataset: 'mnist', a: 0, b: 7 }; null for a name of
 * another shape. The dataset part is not checked (run folders may name others); checkTaskName does.
 */
export function parseTaskName(task: string): { dataset: string; a: number; b: number } | null {
  const m = /^(.+)-(\d+)v(\d+)$/.exec(task);
  return m ? { dataset: m[1], a: Number(m[2]), b: Number(m[3]) } : null;
}

/** A task name of a known dataset and a valid class pair, or a one-line UserError naming the expected form. */
export function checkTaskName(task: string): { dataset: DatasetName; a: number; b: number } {
  const t = parseTaskName(task);
  if (!t) throw new UserError(`bad task '${task}': expected <dataset>-<a>v<b>, e.g. mnist-0v7`);
  const dataset = checkDatasetName(t.dataset);
  checkClassPair(t.a, t.b, `task '${task}'`);
  return { dataset, a: t.a, b: t.b };
}

/** Throw unless a and b are two different class labels 0–9. */
export function checkClassPair(a: number, b: number, where = 'class pair'): void {
  for (const c of [a, b]) {
    if (!Number.isInteger(c) || c < 0 || c >= N_CLASSES) {
      throw new UserError(`${where}: class ${c} is outside 0–${N_CLASSES - 1}`);
    }
  }
  if (a === b) throw new UserError(`${where}: a task needs two different classes, got ${a} twice`);
}

/**
 * Parse a list of class pairs such as `0v7,7v9` into [[0, 7], [7, 9]]. The order within a pair
 * is kept (the first class gets label 0). Spaces around items are allowed.
 */
export function parsePairs(text: string): [number, number][] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) {
    throw new UserError(`bad pair list '${text}': expected pairs like 0v7,7v9`);
  }
  const seen = new Set<string>();
  return items.map((item) => {
    const m = /^(\d+)\s*[vV]\s*(\d+)$/.exec(item);
    if (!m) throw new UserError(`bad pair '${item}' in '${text}': expected <class>v<class>, e.g. 0v7`);
    const a = Number(m[1]);
    const b = Number(m[2]);
    checkClassPair(a, b, `pair '${item}'`);
    const key = a < b ? `${a}v${b}` : `${b}v${a}`;
    if (seen.has(key)) throw new UserError(`pair '${item}' is listed twice in '${text}'`);
    seen.add(key);
    return [a, b] as [number, number];
  });
}
