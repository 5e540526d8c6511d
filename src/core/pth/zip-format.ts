/**
 * Reader of the zip checkpoint format (`torch.save` since PyTorch 1.6):
 * `<root>/data.pkl` (the pickle), `<root>/data/<key>` (raw storages),
 * `<root>/byteorder`, `<root>/version` (or `.data/version`).
 */
import { unzipSync } from 'fflate';
import { CheckpointError } from '../errors.js';
import { unpickle, describe, type PyValue } from './pickle.js';
import { TorchUnpickler } from './torch-pickle.js';

/**
 * Whether the bytes start with a zip local file header (`PK\x03\x04`).
 *
 * @example
 * ```ts
 * isZip(new Uint8Array([0x50, 0x4b, 3, 4])); // true
 * ```
 */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function hasEndOfCentralDirectory(bytes: Uint8Array): boolean {
  // The EOCD record is 22 bytes plus a comment of at most 65535 bytes.
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x05 && bytes[i + 3] === 0x06) return true;
  }
  return false;
}

/**
 * Unzips an archive, turning fflate's errors into {@link CheckpointError}s.
 *
 * @example
 * ```ts
 * const entries = unzipArchive(bytes); // { 'archive/data.pkl': Uint8Array, ... }
 * ```
 */
export function unzipArchive(bytes: Uint8Array): Record<string, Uint8Array> {
  if (!hasEndOfCentralDirectory(bytes)) {
    throw new CheckpointError(
      `Truncated checkpoint: the zip archive (${bytes.length} bytes) has no end-of-central-directory record, so it was cut short. Expected a complete torch.save() file; download or save it again.`,
      'E_TRUNCATED',
    );
  }
  try {
    return unzipSync(bytes);
  } catch (cause) {
    throw new CheckpointError(
      `Corrupt checkpoint: the zip archive could not be read (${(cause as Error).message}). Expected a complete torch.save() file; it may be truncated or damaged.`,
      'E_TRUNCATED',
      { cause },
    );
  }
}

/**
 * The archive's root folder: the part before the first `/` of the first entry, as
 * PyTorch's reader does (it is the file name given to `torch.save`, or `archive`).
 *
 * @example
 * ```ts
 * archiveRoot({ 'G/data.pkl': new Uint8Array() }); // 'G'
 * ```
 */
export function archiveRoot(entries: Record<string, Uint8Array>): string {
  const first = Object.keys(entries)[0];
  if (first === undefined) throw new CheckpointError('Not a PyTorch checkpoint: the zip archive is empty; expected <root>/data.pkl.', 'E_NOT_PTH');
  const slash = first.indexOf('/');
  if (slash < 0) throw new CheckpointError(`Not a PyTorch checkpoint: zip entry "${first}" is not inside a folder; expected <root>/data.pkl.`, 'E_NOT_PTH');
  return first.slice(0, slash);
}

/**
 * Reads a zip-format checkpoint into its unpickled object, tensors materialised.
 *
 * @example
 * ```ts
 * const { value } = readZipCheckpoint(bytes);
 * ```
 */
export function readZipCheckpoint(bytes: Uint8Array): { value: PyValue; unpickler: TorchUnpickler } {
  const entries = unzipArchive(bytes);
  const root = archiveRoot(entries);
  const pkl = entries[`${root}/data.pkl`];
  if (!pkl) {
    const names = Object.keys(entries).slice(0, 8).join(', ');
    throw new CheckpointError(`Not a PyTorch checkpoint: the zip archive has no "${root}/data.pkl" (entries: ${names}). Expected a file written by torch.save().`, 'E_NOT_PTH');
  }
  const order = entries[`${root}/byteorder`];
  if (order) {
    const s = new TextDecoder().decode(order).trim();
    if (s !== 'little') {
      throw new CheckpointError(
        `Unsupported byte order "${s}": the checkpoint was saved on a big-endian machine; only "little" is supported. Load and re-save it with PyTorch on a little-endian machine.`,
        'E_BIG_ENDIAN',
      );
    }
  }
  const unpickler: TorchUnpickler = new TorchUnpickler((pid) => {
    if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
      throw new CheckpointError(`Unsupported persistent id ${describe(pid as PyValue)} in data.pkl; expected ('storage', type, key, location, numel).`, 'E_BAD_PICKLE');
    }
    const [, type, key, location, numel] = pid as PyValue[];
    const s = unpickler.storage(type, key, location, numel);
    if (!s.bytes) {
      const data = entries[`${root}/data/${s.key}`];
      if (!data) {
        throw new CheckpointError(`Missing storage: data.pkl refers to "${root}/data/${s.key}", which is not in the archive. The file is incomplete or damaged.`, 'E_MISSING_STORAGE');
      }
      const want = s.numel * s.type.itemsize;
      if (data.length < want) {
        throw new CheckpointError(`Storage "${root}/data/${s.key}" has ${data.length} bytes; expected ${want} (${s.numel} x ${s.type.itemsize}-byte ${s.type.dtype}).`, 'E_BAD_STORAGE');
      }
      s.bytes = data;
    }
    return s;
  });
  const { value } = unpickle(pkl, 0, unpickler);
  unpickler.materialise();
  return { value, unpickler };
}
