/**
 * Reader of the legacy (pre-1.6, non-zip) `torch.save` format, as `_legacy_load` in
 * PyTorch's `torch/serialization.py` reads it: five pickles in a row (magic number,
 * protocol version, sys_info, the object, the list of storage keys), then for each
 * listed storage an 8-byte little-endian element count and the raw bytes.
 */
import { CheckpointError } from '../errors.js';
import { PLAIN_DATA_HOOKS, PyDict, describe, preview, unpickle, type PyValue } from './pickle.js';
import { TorchUnpickler } from './torch-pickle.js';
import type { PthLimits } from './zip-format.js';

/**
 * `torch.serialization.MAGIC_NUMBER`, the first pickle of a legacy file.
 *
 * @example
 * ```ts
 * LEGACY_MAGIC === 0x1950a86a20f9469cfc6cn; // true
 * ```
 */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/**
 * `torch.serialization.PROTOCOL_VERSION`, the second pickle of a legacy file.
 *
 * @example
 * ```ts
 * LEGACY_PROTOCOL_VERSION; // 1001
 * ```
 */
export const LEGACY_PROTOCOL_VERSION = 1001;

/**
 * Whether the bytes start like a pickle stream (PROTO 2..5, what `torch.save` always wrote).
 *
 * @example
 * ```ts
 * isPickle(new Uint8Array([0x80, 2])); // true
 * ```
 */
export function isPickle(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/**
 * Reads a legacy checkpoint into its unpickled object, tensors materialised.
 *
 * @example
 * ```ts
 * const { value } = readLegacyCheckpoint(bytes);
 * ```
 */
export function readLegacyCheckpoint(
  bytes: Uint8Array,
  limits: Partial<PthLimits> = {},
): { value: PyValue; unpickler: TorchUnpickler } {
  let r = unpickle(bytes, 0, PLAIN_DATA_HOOKS, limits);
  const magic = typeof r.value === 'number' ? BigInt(r.value) : r.value;
  if (magic !== LEGACY_MAGIC) {
    throw new CheckpointError(
      `Not a PyTorch checkpoint: the file is a pickle, but it does not start with torch.save's magic number (found ${describe(r.value)}). Expected a torch.save() file.`,
      'E_NOT_PTH',
    );
  }
  r = unpickle(bytes, r.end, PLAIN_DATA_HOOKS, limits);
  if (r.value !== LEGACY_PROTOCOL_VERSION) {
    throw new CheckpointError(
      `Unsupported legacy checkpoint protocol ${preview(r.value)}; expected ${LEGACY_PROTOCOL_VERSION}.`,
      'E_BAD_PICKLE',
    );
  }
  r = unpickle(bytes, r.end, PLAIN_DATA_HOOKS, limits);
  if (r.value instanceof PyDict && r.value.get('little_endian') === false) {
    throw new CheckpointError(
      'Unsupported byte order "big": the checkpoint was saved on a big-endian machine; only little-endian is supported. Load and re-save it with PyTorch on a little-endian machine.',
      'E_BIG_ENDIAN',
    );
  }
  const unpickler: TorchUnpickler = new TorchUnpickler((pid) => {
    if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
      throw new CheckpointError(
        `Unsupported persistent id ${describe(pid as PyValue)}; expected ('storage', type, key, location, numel, view_metadata).`,
        'E_BAD_PICKLE',
      );
    }
    const [, type, key, location, numel, view] = pid as PyValue[];
    return unpickler.storage(type, key, location, numel, view);
  }, limits);
  r = unpickle(bytes, r.end, unpickler, limits);
  const value = r.value;
  r = unpickle(bytes, r.end, PLAIN_DATA_HOOKS, limits);
  const keys = r.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new CheckpointError(
      `Invalid legacy checkpoint: the storage key list is ${describe(keys)}, expected a list of strings.`,
      'E_BAD_PICKLE',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = r.end;
  for (const key of keys as string[]) {
    const s = unpickler.storages.get(key);
    if (!s)
      throw new CheckpointError(
        `Invalid legacy checkpoint: storage "${key}" is listed but no tensor uses it.`,
        'E_BAD_PICKLE',
      );
    if (pos + 8 > bytes.length) throw truncated(key, pos + 8, bytes.length);
    const count = view.getBigInt64(pos, true);
    pos += 8;
    if (count !== BigInt(s.numel)) {
      throw new CheckpointError(
        `Invalid legacy checkpoint: storage "${key}" has ${count} element(s) in the file; the pickle says ${s.numel}.`,
        'E_BAD_STORAGE',
      );
    }
    const n = s.numel * s.type.itemsize;
    if (pos + n > bytes.length) throw truncated(key, pos + n, bytes.length);
    s.bytes = bytes.subarray(pos, pos + n);
    pos += n;
  }
  unpickler.materialise();
  return { value, unpickler };
}

function truncated(key: string, need: number, have: number): CheckpointError {
  return new CheckpointError(
    `Truncated checkpoint: storage "${key}" needs the file to be at least ${need} bytes long, but it has ${have}. The file was cut short; download or save it again.`,
    'E_TRUNCATED',
  );
}
