/**
 * Reading and writing PyTorch `.pth` checkpoints in plain TypeScript (no tfjs, no
 * Node APIs): bytes in, bytes out.
 *
 * @example
 * ```ts
 * import { readPth, writePth } from './core/pth/index.js';
 * const sd = readPth(bytes);
 * const again = writePth(sd);
 * ```
 */
export { readPth, readPthObject, findStateDict, detectPthFormat, type ReadPthOptions, type PthFormat } from './read.js';
export { PyDict, PyGlobal, unpickle, type PyValue, type UnpickleHooks } from './pickle.js';
export { PthTensor, PthStorage, ALLOWED_GLOBALS } from './torch-pickle.js';
export { writePth, type WritePthOptions } from './writer.js';
