/** Where the commands find what they share about tasks and training flags: the study layer's definitions. */
export { limitSplit, mlpConfigOf, prepareTask, trainConfigOf, type PreparedTask, type TaskFlags, type TrainingFlags } from '../study/tasks.js';
