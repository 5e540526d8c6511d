/**
 * A cache of tensors derived from a weight tensor (re-laid-out filters), keyed by the source's
 * `dataId`, on one wasm backend. tfjs never changes the data behind a `dataId` (a Variable's
 * `assign` moves it to a new one), so an entry is valid until its source is disposed; the cache
 * hooks the backend's `disposeData` and frees the derived tensors then.
 *
 * Why: XNNPACK (inside the wasm `Conv2D` / `BatchMatMul`) packs weights once per weight tensor id
 * and keeps the packed operator until that tensor is disposed. A derived filter made fresh on every
 * call is repacked on every call (measured: 12 ns per weight, 25 ms for a 2M-weight filter, as
 * long as the convolution itself on 8x8 inputs); a cached one is packed once per weight version.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { isInGradientScope } from '../../core/gradient-scope.js';

type DataId = object;

interface BackendCache {
  entries: Map<DataId, Map<string, tf.TensorInfo[]>>;
  uses: Map<DataId, Map<string, number>>;
  dispose: (dataId: DataId, force?: boolean) => boolean;
}

const caches = new WeakMap<BackendWasm, BackendCache>();

function cacheOf(backend: BackendWasm): BackendCache {
  let c = caches.get(backend);
  if (c) return c;
  const original = backend.disposeData.bind(backend);
  const entries = new Map<DataId, Map<string, tf.TensorInfo[]>>();
  const uses = new Map<DataId, Map<string, number>>();
  c = { entries, uses, dispose: original };
  caches.set(backend, c);
  backend.disposeData = (dataId: DataId, force?: boolean): boolean => {
    const gone = original(dataId, force);
    if ((entries.size || uses.size) && !backend.dataIdMap.has(dataId)) {
      uses.delete(dataId);
      const derived = entries.get(dataId);
      if (derived) {
        entries.delete(dataId);
        for (const list of derived.values()) for (const t of list) original(t.dataId);
      }
    }
    return gone;
  };
  return c;
}

/**
 * The tensors `make` derives from `source` under the name `tag`: made on the first call, then
 * returned from the cache until `source` is disposed. The caller must not dispose them.
 *
 * @example
 * ```ts
 * const [flipped] = derivedWeights(backend, filter, 'flip', () => [flip(filter)]);
 * ```
 */
export function derivedWeights(
  backend: BackendWasm,
  source: tf.TensorInfo,
  tag: string,
  make: () => tf.TensorInfo[],
): tf.TensorInfo[] {
  const c = cacheOf(backend);
  let bySource = c.entries.get(source.dataId);
  const hit = bySource?.get(tag);
  if (hit) return hit;
  const made = make();
  if (!bySource) {
    bySource = new Map();
    c.entries.set(source.dataId, bySource);
  }
  bySource.set(tag, made);
  return made;
}

/**
 * Counts one more use of `source` as a weight by the kernel `kernel` and returns that kernel's
 * count so far (forgotten when `source` is disposed). Kernels cache derived weights only for tensors used often enough to
 * repay the re-layout: a weight used once or twice per version (training) is not worth it, one
 * used on every call of an inference loop is.
 *
 * @example
 * ```ts
 * if (noteWeightUse(backend, filter, 'Conv2D') >= 3) { ... cache ... }
 * ```
 */
export function noteWeightUse(backend: BackendWasm, source: tf.TensorInfo, kernel: string): number {
  // Uses inside a training step are not counted (a step's tensors saved for backprop are the
  // weights themselves, so counts would depend on the run's history, and the cached path rounds
  // differently): training never switches paths midway, and resumed runs repeat exactly.
  if (isInGradientScope()) return 0;
  const c = cacheOf(backend);
  let byKernel = c.uses.get(source.dataId);
  if (!byKernel) {
    byKernel = new Map();
    c.uses.set(source.dataId, byKernel);
  }
  const n = (byKernel.get(kernel) ?? 0) + 1;
  byKernel.set(kernel, n);
  return n;
}

/**
 * Whether `derivedWeights(backend, source, tag, ...)` would return cached tensors.
 *
 * @example
 * ```ts
 * if (hasDerivedWeights(backend, filter, 'phases')) { ... }
 * ```
 */
export function hasDerivedWeights(
  backend: BackendWasm,
  source: tf.TensorInfo,
  tag: string,
): boolean {
  return caches.get(backend)?.entries.get(source.dataId)?.has(tag) ?? false;
}

/**
 * How many source tensors have cached derivatives, and how many float32 elements those hold.
 *
 * @example
 * ```ts
 * derivedWeightStats(backend); // { sources: 12, elements: 5_242_880 }
 * ```
 */
export function derivedWeightStats(backend: BackendWasm): { sources: number; elements: number } {
  const c = caches.get(backend);
  let elements = 0;
  c?.entries.forEach((m) =>
    m.forEach((list) => list.forEach((t) => (elements += t.shape.reduce((a, b) => a * b, 1)))),
  );
  return { sources: c?.entries.size ?? 0, elements };
}

/**
 * Frees every cached derivative on `backend` (they are rebuilt on demand).
 *
 * @example
 * ```ts
 * clearDerivedWeights(tf.backend() as BackendWasm);
 * ```
 */
export function clearDerivedWeights(backend: BackendWasm): void {
  const c = caches.get(backend);
  if (!c) return;
  for (const m of c.entries.values())
    for (const list of m.values()) for (const t of list) c.dispose(t.dataId);
  c.entries.clear();
  c.uses.clear();
}
