/** The TensorFlow.js layers format moved to src/formats (a reader of model files); re-exported for `weightscope/model`. */
export * from '../formats/layers-format.js';
