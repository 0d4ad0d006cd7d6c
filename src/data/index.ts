/**
 * The data module: IDX reading, MNIST / Fashion-MNIST loading, binary tasks and input scaling,
 * SSIM class-pair ranking. Node only (reads files); `names.ts` is the browser-safe part.
 */
export { readIdx, type IdxArray } from './idx.js';
export {
  loadMnist,
  loadFashion,
  loadDataset,
  mnistPackageDir,
  fashionPackageDir,
  IDX_FILES,
  FASHION_SPLIT_SEED,
  FASHION_TEST_FRACTION,
  type ImageSet,
  type Dataset,
  type DataSource,
  type FashionLoadReport,
} from './datasets.js';
export {
  DATASETS,
  CLASS_NAMES,
  N_CLASSES,
  checkDatasetName,
  checkClassPair,
  parsePairs,
  taskName,
  parseTaskName,
  checkTaskName,
  type DatasetName,
} from './names.js';
export {
  makeBinaryTask,
  taskSplits,
  limitSplit,
  inputAffine,
  scaleInputs,
  checkInputScaling,
  INPUT_SCALINGS,
  type InputScaling,
  type Split,
  type BinaryTask,
  type BinaryTaskOptions,
  type TaskSplitOptions,
} from './tasks.js';
export {
  imageSsim,
  rankPairsBySsim,
  pickAutoPairs,
  makeRanking,
  sortRanking,
  ssimDistanceOf,
  allClassPairs,
  loadSsimRanking,
  ssimRankingPath,
  packageRoot,
  SSIM_DEFAULTS,
  SSIM_METHOD,
  type SsimRow,
  type SsimRanking,
  type SsimOptions,
} from './ssim.js';
export { mnistTextLines, type TextLines, type TextLineOptions } from './text-lines.js';
