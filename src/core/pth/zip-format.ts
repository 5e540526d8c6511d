/**
 * Reader of the zip checkpoint format (`torch.save` since PyTorch 1.6):
 * `<root>/data.pkl` (the pickle), `<root>/data/<key>` (raw storages),
 * `<root>/byteorder`, `<root>/version` (or `.data/version`).
 */
import { unzipSync } from 'fflate';
import { CheckpointError, LimitError } from '../errors.js';
import { unpickle, preview, type PickleLimits, type PyValue } from './pickle.js';
import { TorchUnpickler, type PthStorage } from './torch-pickle.js';

/**
 * Whether the bytes start with a zip local file header (`PK\x03\x04`).
 *
 * @example
 * ```ts
 * isZip(new Uint8Array([0x50, 0x4b, 3, 4])); // true
 * ```
 */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    bytes[2] === 0x03 &&
    bytes[3] === 0x04
  );
}

/** Offset of the end-of-central-directory record (22 bytes plus a comment of at most 65535). */
function endOfCentralDirectory(bytes: Uint8Array): number {
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (
      bytes[i] === 0x50 &&
      bytes[i + 1] === 0x4b &&
      bytes[i + 2] === 0x05 &&
      bytes[i + 3] === 0x06
    )
      return i;
  }
  return -1;
}

/** An entry of the archive's central directory, not inflated yet. */
export interface ZipEntryInfo {
  name: string;
  /** Bytes in the archive. */
  size: number;
  /** Bytes once inflated, as the archive declares them. */
  originalSize: number;
  compression: number;
}

/**
 * A zip archive read lazily: {@link entries} lists the central directory without inflating
 * anything, {@link read} inflates only the entries asked for, each into a buffer of its declared
 * size after that size was checked against what the caller expects.
 *
 * @example
 * ```ts
 * const zip = openZip(bytes);
 * const pkl = zip.read(['archive/data.pkl'], 1 << 20).get('archive/data.pkl');
 * ```
 */
export interface LazyZip {
  readonly entries: ReadonlyMap<string, ZipEntryInfo>;
  /** Inflates `names` in one pass; an entry declaring more than `maxBytes(name)` bytes is refused first. */
  read(
    names: Iterable<string>,
    maxBytes: number | ((name: string) => number),
  ): Map<string, Uint8Array>;
}

/**
 * Opens a zip archive lazily (see {@link LazyZip}), checking that it is complete and that every
 * entry name stays inside the archive's folders (no `..`, no absolute or drive paths, no `\`).
 *
 * @example
 * ```ts
 * const names = [...openZip(bytes).entries.keys()];
 * ```
 */
export function openZip(bytes: Uint8Array): LazyZip {
  const eocd = endOfCentralDirectory(bytes);
  if (eocd < 0) {
    throw new CheckpointError(
      `Truncated checkpoint: the zip archive (${bytes.length} bytes) has no end-of-central-directory record, so it was cut short. Expected a complete torch.save() file; download or save it again.`,
      'E_TRUNCATED',
    );
  }
  // The entry count is checked against the archive's size before fflate loops over it (a zip64
  // record can claim 2^32 entries in a few bytes).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = view.getUint16(eocd + 8, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const z = Number(view.getBigUint64(eocd - 12, true));
    if (z + 40 <= bytes.length && view.getUint32(z, true) === 0x06064b50)
      count = Number(view.getBigUint64(z + 32, true));
  }
  if (count > bytes.length / 46)
    throw corrupt(`it claims ${count} entries in ${bytes.length} bytes`);
  const entries = new Map<string, ZipEntryInfo>();
  unzip(bytes, (info) => {
    entries.set(info.name, { ...info });
    return false;
  });
  for (const name of entries.keys()) {
    if (!safeEntryName(name)) {
      throw new CheckpointError(
        `Unsafe zip entry name "${name.slice(0, 200)}": entry names must be relative paths inside the archive (no "..", no leading "/", no drive letter, no "\\"). The file was not written by torch.save().`,
        'E_NOT_PTH',
      );
    }
  }
  return {
    entries,
    read(names, maxBytes) {
      const want = new Set(names);
      for (const name of want) {
        const info = entries.get(name);
        if (!info) continue;
        const max = typeof maxBytes === 'number' ? maxBytes : maxBytes(name);
        if (info.originalSize > max || (info.compression === 0 && info.size > max)) {
          throw new LimitError(
            `Zip entry "${name.slice(0, 200)}" declares ${Math.max(info.originalSize, info.size)} bytes; at most ${max} are expected for it. Refused before inflating.`,
          );
        }
      }
      return new Map(Object.entries(unzip(bytes, (info) => want.has(info.name))));
    },
  };
}

/**
 * Whether a zip entry name is a relative path that stays inside the archive.
 *
 * @example
 * ```ts
 * safeEntryName('archive/data/0'); // true
 * safeEntryName('../../etc/passwd'); // false
 * ```
 */
export function safeEntryName(name: string): boolean {
  if (
    !name ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    /^[a-z]:/i.test(name)
  )
    return false;
  return !name.split('/').some((part) => part === '..');
}

function corrupt(why: string, cause?: unknown): CheckpointError {
  return new CheckpointError(
    `Corrupt checkpoint: the zip archive could not be read (${why}). Expected a complete torch.save() file; it may be truncated or damaged.`,
    'E_TRUNCATED',
    { cause },
  );
}

function unzip(
  bytes: Uint8Array,
  filter: (info: ZipEntryInfo) => boolean,
): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes, { filter });
  } catch (cause) {
    if (cause instanceof CheckpointError || cause instanceof LimitError) throw cause;
    throw corrupt((cause as Error).message, cause);
  }
}

/**
 * Unzips a whole archive, turning fflate's errors into {@link CheckpointError}s. Prefer
 * {@link openZip}, which inflates only what is asked for.
 *
 * @example
 * ```ts
 * const entries = unzipArchive(bytes); // { 'archive/data.pkl': Uint8Array, ... }
 * ```
 */
export function unzipArchive(bytes: Uint8Array): Record<string, Uint8Array> {
  const zip = openZip(bytes);
  return Object.fromEntries(zip.read(zip.entries.keys(), Infinity));
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
export function archiveRoot(
  entries: Record<string, unknown> | ReadonlyMap<string, unknown>,
): string {
  const first =
    entries instanceof Map
      ? (entries.keys().next().value as string | undefined)
      : Object.keys(entries)[0];
  if (first === undefined)
    throw new CheckpointError(
      'Not a PyTorch checkpoint: the zip archive is empty; expected <root>/data.pkl.',
      'E_NOT_PTH',
    );
  const slash = first.indexOf('/');
  if (slash < 0)
    throw new CheckpointError(
      `Not a PyTorch checkpoint: zip entry "${first.slice(0, 200)}" is not inside a folder; expected <root>/data.pkl.`,
      'E_NOT_PTH',
    );
  return first.slice(0, slash);
}

/** Limits of reading a checkpoint: the pickle's, the elements of all tensors, the pickle's size. */
export interface PthLimits extends PickleLimits {
  /** Elements that storages and strided tensor copies may take in all. @defaultValue 2^28 */
  maxElements: number;
  /** Bytes of the inflated `data.pkl`. @defaultValue 256 MiB */
  maxPickleBytes: number;
}

/**
 * Reads a zip-format checkpoint into its unpickled object, tensors materialised. Only
 * `data.pkl`, `byteorder` and the storages the pickle refers to are inflated, each refused first
 * if it declares more bytes than expected.
 *
 * @example
 * ```ts
 * const { value } = readZipCheckpoint(bytes);
 * ```
 */
export function readZipCheckpoint(
  bytes: Uint8Array,
  limits: Partial<PthLimits> = {},
): { value: PyValue; unpickler: TorchUnpickler } {
  const zip = openZip(bytes);
  const root = archiveRoot(zip.entries);
  const pklName = `${root}/data.pkl`;
  const orderName = `${root}/byteorder`;
  if (!zip.entries.has(pklName)) {
    const names = [...zip.entries.keys()]
      .slice(0, 8)
      .map((n) => n.slice(0, 100))
      .join(', ');
    throw new CheckpointError(
      `Not a PyTorch checkpoint: the zip archive has no "${pklName.slice(0, 200)}" (entries: ${names}). Expected a file written by torch.save().`,
      'E_NOT_PTH',
    );
  }
  const maxPickle = limits.maxPickleBytes ?? 256 * 2 ** 20;
  const head = zip.read([pklName, orderName], (n) => (n === pklName ? maxPickle : 16));
  const pkl = head.get(pklName)!;
  const order = head.get(orderName);
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
      throw new CheckpointError(
        `Unsupported persistent id ${preview(pid as PyValue)} in data.pkl; expected ('storage', type, key, location, numel).`,
        'E_BAD_PICKLE',
      );
    }
    const [, type, key, location, numel] = pid as PyValue[];
    const s = unpickler.storage(type, key, location, numel);
    const name = `${root}/data/${s.key}`;
    if (!s.bytes && !zip.entries.has(name)) {
      throw new CheckpointError(
        `Missing storage: data.pkl refers to "${name.slice(0, 200)}", which is not in the archive. The file is incomplete or damaged.`,
        'E_MISSING_STORAGE',
      );
    }
    return s;
  }, limits);
  const { value } = unpickle(pkl, 0, unpickler, limits);
  // Only the storages a tensor uses are inflated, each capped at its declared size.
  const used = new Map<string, PthStorage>();
  for (const t of unpickler.tensors) used.set(`${root}/data/${t.storage.key}`, t.storage);
  const data = zip.read(used.keys(), (n) => used.get(n)!.numel * used.get(n)!.type.itemsize);
  for (const [name, s] of used) {
    const d = data.get(name)!;
    const want = s.numel * s.type.itemsize;
    if (d.length < want) {
      throw new CheckpointError(
        `Storage "${name.slice(0, 200)}" has ${d.length} bytes; expected ${want} (${s.numel} x ${s.type.itemsize}-byte ${s.type.dtype}).`,
        'E_BAD_STORAGE',
      );
    }
    s.bytes = d;
  }
  unpickler.materialise();
  return { value, unpickler };
}
