/**
 * What a `torch.save` pickle may contain, and nothing more: the allow-list of globals
 * and the pure-data meaning of the few calls a state_dict pickle makes.
 */
import { CheckpointError, LimitError } from '../errors.js';
import type { DType, StateTensor } from '../state-dict.js';
import {
  PyDict,
  PyGlobal,
  PyOpaque,
  describe,
  preview,
  refuseCall,
  refuseGlobal,
  type PyValue,
  type UnpickleHooks,
} from './pickle.js';
import {
  STORAGE_TYPES,
  TORCH_DTYPES,
  checkView,
  decodeStorage,
  stridedCopy,
  type StorageType,
  type TensorData,
} from './storage.js';

const REBUILD_FNS = [
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
];

/**
 * Every global a checkpoint pickle may name. Anything else is refused with an
 * `UnsafePickleError` before it is even looked at.
 *
 * @example
 * ```ts
 * ALLOWED_GLOBALS.has('collections.OrderedDict'); // true
 * ALLOWED_GLOBALS.has('builtins.eval'); // false
 * ```
 */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  ...REBUILD_FNS,
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  ...[...STORAGE_TYPES.keys()].map((n) => `torch.${n}`),
  ...[...TORCH_DTYPES.keys()].map((n) => `torch.${n}`),
]);

/**
 * A storage (or, in legacy files, a view into one) named by a persistent id.
 *
 * @example
 * ```ts
 * const t = (readPthObject(bytes) as PyDict).get('w') as PthTensor;
 * t.storage.key; // '0'
 * ```
 */
export class PthStorage extends PyOpaque {
  /** Raw little-endian bytes, once known (zip: at once; legacy: after the main pickle). */
  bytes: Uint8Array | undefined;
  private decoded: TensorData | undefined;
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly location: string,
    readonly numel: number,
    /** Legacy storage views: the root storage and the element offset into it. */
    readonly viewOf?: { root: PthStorage; offset: number },
  ) {
    super();
  }
  /** The decoded elements (widened), computed once per storage. */
  elements(): TensorData {
    if (this.viewOf) {
      const all = this.viewOf.root.elements();
      return all.subarray(this.viewOf.offset, this.viewOf.offset + this.numel) as TensorData;
    }
    if (!this.decoded) {
      if (!this.bytes) {
        throw new CheckpointError(
          `Storage "${this.key}" (${this.type.name}, ${this.numel} elements) is referenced by a tensor but its data is missing from the file.`,
          'E_MISSING_STORAGE',
        );
      }
      this.decoded = decodeStorage(this.bytes, this.type.dtype, this.numel);
    }
    return this.decoded;
  }
}

/**
 * A tensor as pickled (storage, offset, size, stride); `data` is filled with a C-order
 * copy by {@link TorchUnpickler.materialise}.
 *
 * @example
 * ```ts
 * const t = (readPthObject(bytes) as PyDict).get('w') as PthTensor;
 * t.stride; // [48, 16, 4, 1]
 * ```
 */
export class PthTensor extends PyOpaque implements StateTensor {
  readonly dtype: DType;
  data: TensorData;
  constructor(
    readonly storage: PthStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {
    super();
    this.dtype = storage.type.dtype;
    this.data = new Float32Array(0);
  }
  /** A plain `StateTensor` (structured-clone friendly: no class, no storage). */
  toStateTensor(): StateTensor {
    return { dtype: this.dtype, shape: [...this.shape], data: this.data };
  }
}

function intList(v: PyValue, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new CheckpointError(
      `Invalid tensor ${what}: expected a tuple of integers, got ${describe(v)}.`,
      'E_BAD_PICKLE',
    );
  }
  return [...(v as number[])];
}

function int(v: PyValue, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new CheckpointError(
      `Invalid ${what}: expected an integer, got ${describe(v)}.`,
      'E_BAD_PICKLE',
    );
  return v;
}

/**
 * Decodes a storage class global (`torch.FloatStorage`) to its dtype info. Storage
 * classes of dtypes a `StateTensor` cannot hold (int16, complex) are rejected clearly.
 *
 * @example
 * ```ts
 * storageTypeFromGlobal(new PyGlobal('torch', 'HalfStorage')).dtype; // 'float16'
 * ```
 */
export function storageTypeFromGlobal(v: PyValue): StorageType {
  const t = v instanceof PyGlobal && v.module === 'torch' ? STORAGE_TYPES.get(v.name) : undefined;
  if (!t)
    throw new CheckpointError(
      `Unsupported storage type ${describe(v)}; expected one of: ${[...STORAGE_TYPES.keys()].map((n) => `torch.${n}`).join(', ')}.`,
      'E_UNSUPPORTED_DTYPE',
    );
  return t;
}

/**
 * Unpickling hooks for `torch.save` pickles plus the bookkeeping of the tensors they
 * create. The format readers supply `persistentLoad` (storages are found differently
 * in zip and legacy files) and call {@link materialise} once all storage bytes are in.
 *
 * @example
 * ```ts
 * const u = new TorchUnpickler((pid) => myStorageFor(pid));
 * const { value } = unpickle(pkl, 0, u);
 * u.materialise();
 * ```
 */
export class TorchUnpickler implements UnpickleHooks {
  readonly tensors: PthTensor[] = [];
  readonly storages = new Map<string, PthStorage>();
  /** Elements that storages and tensor copies may take in all. */
  readonly maxElements: number;
  constructor(
    readonly persistentLoad: (pid: PyValue) => PyValue,
    limits: { maxElements?: number } = {},
  ) {
    this.maxElements = limits.maxElements ?? DEFAULT_MAX_ELEMENTS;
  }

  findGlobal(module: string, name: string): PyValue {
    const q = `${module}.${name}`;
    if (ALLOWED_GLOBALS.has(q)) return new PyGlobal(module, name);
    if (module === 'torch' && /Storage$/.test(name)) {
      throw new CheckpointError(
        `Unsupported storage type torch.${name}; supported: ${[...STORAGE_TYPES.keys()].join(', ')}.`,
        'E_UNSUPPORTED_DTYPE',
      );
    }
    return refuseGlobal(
      module,
      name,
      [...ALLOWED_GLOBALS].filter(
        (g) => !g.startsWith('torch.') || REBUILD_FNS.includes(g) || g.endsWith('Storage'),
      ),
    );
  }

  call(fn: PyValue, args: readonly PyValue[]): PyValue {
    if (!(fn instanceof PyGlobal)) return refuseCall(fn);
    switch (fn.qualifiedName) {
      case 'collections.OrderedDict': {
        const d = new PyDict(true);
        const init = args[0];
        if (Array.isArray(init)) {
          for (const pair of init) {
            if (!Array.isArray(pair) || pair.length !== 2)
              throw new CheckpointError(
                'OrderedDict() argument is not a list of pairs.',
                'E_BAD_PICKLE',
              );
            d.set(pair[0], pair[1]);
          }
        }
        return d;
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2': {
        const [storage, offset, size, stride, requiresGrad] = args;
        if (!(storage instanceof PthStorage))
          throw new CheckpointError(
            `Tensor storage is ${describe(storage)}, expected a persistent storage reference.`,
            'E_BAD_PICKLE',
          );
        const t = new PthTensor(
          storage,
          int(offset, 'storage offset'),
          intList(size, 'size'),
          intList(stride, 'stride'),
          requiresGrad === true,
        );
        this.tensors.push(t);
        return t;
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        if (!(args[0] instanceof PthTensor))
          throw new CheckpointError(
            `Parameter data is ${describe(args[0])}, expected a tensor.`,
            'E_BAD_PICKLE',
          );
        return args[0];
      case 'torch._tensor._rebuild_from_type_v2': {
        // (func, type, args, state): a Tensor/Parameter (sub)class wrapper around func(*args).
        const [inner, type, innerArgs] = args;
        if (
          !(type instanceof PyGlobal) ||
          !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(type.qualifiedName)
        )
          return refuseCall(type ?? null);
        if (!Array.isArray(innerArgs))
          throw new CheckpointError(
            '_rebuild_from_type_v2 arguments are not a tuple.',
            'E_BAD_PICKLE',
          );
        return this.call(inner, innerArgs);
      }
      default:
        return refuseCall(fn);
    }
  }

  build(obj: PyValue, state: PyValue): PyValue {
    if (obj instanceof PyDict && state instanceof PyDict) {
      for (const [k, v] of state) if (typeof k === 'string') obj.attrs.set(k, v);
      return obj;
    }
    // Tensors carry Python-side attributes (rarely) that a state_dict does not need.
    if (obj instanceof PthTensor || state === null) return obj;
    return refuseCall(obj);
  }

  /**
   * Returns the storage for a persistent id, creating it once per key.
   *
   * @param view - legacy `(view_key, offset, size)` metadata, if any
   */
  storage(
    typeGlobal: PyValue,
    key: PyValue,
    location: PyValue,
    numel: PyValue,
    view?: PyValue,
  ): PthStorage {
    if (typeof key !== 'string')
      throw new CheckpointError(
        `Storage key is ${describe(key)}, expected a string.`,
        'E_BAD_PICKLE',
      );
    const type = storageTypeFromGlobal(typeGlobal);
    const loc = typeof location === 'string' ? location : 'cpu';
    let root = this.storages.get(key);
    if (!root) {
      const n = int(numel, 'storage size');
      if (n < 0)
        throw new CheckpointError(
          `Storage "${preview(key)}" has a negative size (${n}).`,
          'E_BAD_STORAGE',
        );
      if (n > this.maxElements)
        throw elementsLimit(`storage "${preview(key)}" of ${n} elements`, this.maxElements);
      root = new PthStorage(key, type, loc, n);
      this.storages.set(key, root);
    }
    if (view === undefined || view === null) return root;
    if (!Array.isArray(view) || view.length !== 3)
      throw new CheckpointError(`Invalid storage view metadata ${describe(view)}.`, 'E_BAD_PICKLE');
    const [viewKey, offset, size] = view;
    const vk = typeof viewKey === 'string' ? viewKey : preview(viewKey);
    let v = this.storages.get(`view:${vk}`);
    if (!v) {
      const o = int(offset, 'storage view offset');
      const n = int(size, 'storage view size');
      if (o < 0 || n < 0)
        throw new CheckpointError(
          `Storage view ${vk} has a negative offset or size (${o}, ${n}).`,
          'E_BAD_STORAGE',
        );
      if (o + n > root.numel)
        throw new CheckpointError(
          `Storage view ${vk} [${o}, ${o + n}) exceeds storage ${key} of ${root.numel} elements.`,
          'E_BAD_STORAGE',
        );
      v = new PthStorage(vk, type, loc, n, { root, offset: o });
      this.storages.set(`view:${vk}`, v);
    }
    return v;
  }

  /**
   * Fills every tensor's `data` with its view in C order: a subarray of the decoded storage when
   * the layout allows (storages shared by many tensors are not copied per tensor), else a copy.
   * Every view is checked, and the elements to decode and copy are counted against
   * `maxElements`, before any storage is decoded.
   */
  materialise(): void {
    const views = this.tensors.map((t) =>
      checkView(t.shape, t.stride, t.storageOffset, t.storage.numel),
    );
    let total = 0;
    const roots = new Set<PthStorage>();
    for (const t of this.tensors) roots.add(t.storage.viewOf?.root ?? t.storage);
    for (const r of roots) total += r.numel;
    views.forEach((v) => {
      if (!v.contiguous) total += v.numel;
    });
    if (total > this.maxElements)
      throw elementsLimit(
        `${this.tensors.length} tensors needing ${total} elements (storages decoded plus strided copies)`,
        this.maxElements,
      );
    this.tensors.forEach((t, i) => {
      const all = t.storage.elements();
      t.data = views[i].contiguous
        ? (all.subarray(t.storageOffset, t.storageOffset + views[i].numel) as TensorData)
        : stridedCopy(all, t.storageOffset, t.shape, t.stride);
    });
  }
}

/** Default of `limits.maxElements`: 2^28 elements (1 GiB of float32), 5x the largest pix2pix generator. */
export const DEFAULT_MAX_ELEMENTS = 2 ** 28;

function elementsLimit(what: string, max: number): LimitError {
  return new LimitError(
    `Checkpoint too large: ${what}, above the limit of ${max} elements (limits.maxElements). Raise limits.maxElements if the file is trusted.`,
  );
}
