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
export {
  readPth,
  readPthObject,
  findStateDict,
  detectPthFormat,
  type ReadPthOptions,
  type PthFormat,
} from './read.js';
export {
  PyDict,
  PyGlobal,
  unpickle,
  preview,
  DEFAULT_PICKLE_LIMITS,
  type PyValue,
  type UnpickleHooks,
  type PickleLimits,
} from './pickle.js';
export { openZip, safeEntryName, type PthLimits } from './zip-format.js';
export { PthTensor, PthStorage, ALLOWED_GLOBALS } from './torch-pickle.js';
export { writePth, type WritePthOptions } from './writer.js';
