/**
 * Entry points for reading `.pth` checkpoints (both formats), without tfjs and without Node APIs.
 */
import { CheckpointError } from '../errors.js';
import type { StateDict } from '../state-dict.js';
import { PyDict, describe, preview, type PyValue } from './pickle.js';
import { PthTensor } from './torch-pickle.js';
import { isZip, readZipCheckpoint, type PthLimits } from './zip-format.js';
import { isPickle, readLegacyCheckpoint } from './legacy-format.js';

/** Which container a checkpoint used. */
export type PthFormat = 'zip' | 'legacy';

/** Options of {@link readPth}. */
export interface ReadPthOptions {
  /**
   * Key of the state dict inside a checkpoint dict (e.g. `'netG'`). By default the
   * top-level dict is used if it holds tensors, else its `state_dict` or `model` entry.
   * @defaultValue undefined
   */
  key?: string;
  /**
   * Resource limits, checked before the work: pickle opcodes, memo, nesting, container items and
   * integer bytes; elements of all tensors (`maxElements`, 2^28); the inflated pickle's bytes.
   * A file beyond one is refused with a `LimitError` (`code: 'E_LIMIT'`).
   * @defaultValue DEFAULT_PICKLE_LIMITS, maxElements 2^28, maxPickleBytes 256 MiB
   */
  limits?: Partial<PthLimits>;
}

function hex(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Detects the container format, or throws a {@link CheckpointError} that says why the
 * bytes are not a checkpoint.
 *
 * @example
 * ```ts
 * detectPthFormat(bytes); // 'zip'
 * ```
 */
export function detectPthFormat(bytes: Uint8Array): PthFormat {
  if (bytes.length === 0)
    throw new CheckpointError(
      'Truncated checkpoint: the file is empty. Expected a torch.save() file.',
      'E_TRUNCATED',
    );
  if (isZip(bytes)) return 'zip';
  if (isPickle(bytes)) return 'legacy';
  let hint = '';
  if (
    bytes.length >= 9 &&
    bytes[8] === 0x7b &&
    bytes[4] === 0 &&
    bytes[5] === 0 &&
    bytes[6] === 0 &&
    bytes[7] === 0
  )
    hint = ' It looks like a safetensors file.';
  else if (bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar')
    hint = ' It is a tar archive (the pre-0.4 torch.save format), which is not supported.';
  throw new CheckpointError(
    `Not a PyTorch checkpoint: expected a zip archive (starting "PK\\x03\\x04", PyTorch >= 1.6) or a legacy pickle stream (starting 0x80 0x02); the file starts with ${hex(bytes)}.${hint}`,
    'E_NOT_PTH',
  );
}

/**
 * Reads a `.pth` file into the object `torch.load` would return, built only from
 * safe data: dicts are {@link PyDict}s (Maps), tuples frozen arrays, tensors
 * {@link PthTensor}s (which are `StateTensor`s, data already materialised in C order).
 *
 * @example
 * ```ts
 * const ckpt = readPthObject(bytes) as PyDict;
 * const sd = ckpt.get('state_dict');
 * ```
 */
export function readPthObject(bytes: Uint8Array, limits: Partial<PthLimits> = {}): PyValue {
  return (
    detectPthFormat(bytes) === 'zip'
      ? readZipCheckpoint(bytes, limits)
      : readLegacyCheckpoint(bytes, limits)
  ).value;
}

/** The first keys of a dict, each previewed within a bound (keys can be huge shared graphs). */
function keyList(d: PyDict): string {
  const keys: string[] = [];
  for (const k of d.keys()) {
    if (keys.length === 20) {
      keys.push(`... (${d.size} in all)`);
      break;
    }
    keys.push(typeof k === 'string' ? k.slice(0, 60) : preview(k, 60));
  }
  return keys.join(', ');
}

function tensorEntries(d: PyDict): [string, PthTensor][] {
  const out: [string, PthTensor][] = [];
  for (const [k, v] of d) if (typeof k === 'string' && v instanceof PthTensor) out.push([k, v]);
  return out;
}

/**
 * Finds the state dict in an unpickled checkpoint: the top-level dict if it holds
 * tensors, else (recursively) its `state_dict` or `model` entry, or `key` if given.
 *
 * @example
 * ```ts
 * const sd = findStateDict(readPthObject(bytes));
 * ```
 */
export function findStateDict(obj: PyValue, key?: string, depth = 0): StateDict {
  if (depth > 16)
    throw new CheckpointError(
      'No state dict in the checkpoint: "state_dict"/"model" entries nest more than 16 levels deep.',
      'E_NO_STATE_DICT',
    );
  if (!(obj instanceof PyDict)) {
    throw new CheckpointError(
      `No state dict in the checkpoint: it holds a ${describe(obj)}, expected a dict of tensors.`,
      'E_NO_STATE_DICT',
    );
  }
  if (key !== undefined) {
    if (!obj.has(key)) {
      throw new CheckpointError(
        `No entry "${preview(key)}" in the checkpoint; its keys are: ${keyList(obj)}.`,
        'E_NO_STATE_DICT',
      );
    }
    return findStateDict(obj.get(key)!, undefined, depth + 1);
  }
  const tensors = tensorEntries(obj);
  if (tensors.length === 0 && obj.size > 0) {
    for (const k of ['state_dict', 'model']) {
      const inner = obj.get(k);
      if (inner instanceof PyDict) return findStateDict(inner, undefined, depth + 1);
    }
    throw new CheckpointError(
      `No state dict in the checkpoint: the top-level dict holds no tensors and has no "state_dict" or "model" entry. Its keys are: ${keyList(obj)}. Pass { key } to choose one.`,
      'E_NO_STATE_DICT',
    );
  }
  return new Map(tensors.map(([k, t]) => [k, t.toStateTensor()]));
}

/**
 * Reads a PyTorch `.pth` checkpoint (zip or legacy format) into a {@link StateDict}.
 * Safe: only tensors, dicts and plain data are rebuilt; any other Python global is
 * refused with an `UnsafePickleError`.
 *
 * @example
 * ```ts
 * const sd = readPth(new Uint8Array(await (await fetch('latest_net_G.pth')).arrayBuffer()));
 * sd.get('model.model.0.weight')?.shape; // [64, 3, 4, 4]
 * ```
 */
export function readPth(bytes: Uint8Array, options: ReadPthOptions = {}): StateDict {
  const { key, limits } = options;
  return findStateDict(readPthObject(bytes, limits), key);
}
