/**
 * Mapping between the reference's PyTorch state dicts and a {@link ParamStore}: layouts, the
 * `module.` prefix of DataParallel, `num_batches_tracked`, and PyTorch-style mismatch reports.
 */
import { tf } from '../core/tf.js';
import { StateDictMismatchError } from '../core/errors.js';
import { sizeOf, type StateDict, type StateTensor } from '../core/state-dict.js';
import { tfToTorch, torchToTf, tfShape, type ParamStore } from './params.js';

export interface LoadOptions {
  /**
   * Require every key of the model to be present and no extra key (PyTorch's `strict`).
   * `num_batches_tracked` may always be missing or extra. @defaultValue true
   */
  strict?: boolean;
}

const NBT = '.num_batches_tracked';

/** Strips a DataParallel `module.` prefix when every key has it. */
export function stripModulePrefix(sd: StateDict): StateDict {
  const keys = [...sd.keys()];
  if (!keys.length || !keys.every((k) => k.startsWith('module.'))) return sd;
  return new Map(keys.map((k) => [k.slice('module.'.length), sd.get(k)!]));
}

function toNumberArray(t: StateTensor): ArrayLike<number> {
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (x) => Number(x));
  return t.data as ArrayLike<number>;
}

/**
 * Loads `sd` into `store`, all or nothing: every problem (missing, unexpected, wrong shape) is
 * collected first and reported in one {@link StateDictMismatchError}.
 *
 * @example
 * ```ts
 * importStateDict(model.G, readPth(bytes));
 * ```
 */
export function importStateDict(store: ParamStore, input: StateDict, opts: LoadOptions = {}): void {
  const { strict = true } = opts;
  const sd = stripModulePrefix(input);
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const spec of store.specs) {
    const t = sd.get(spec.key);
    if (!t) {
      missing.push(spec.key);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      wrong.push(`for ${spec.key}: copying a param with shape [${t.shape.join(', ')}] from checkpoint, the shape in current model is [${spec.shape.join(', ')}]`);
    }
  }
  const known = new Set(store.specs.map((s) => s.key));
  // num_batches_tracked is tolerated both ways: older checkpoints lack it, and it carries no weights.
  const unexpected = [...sd.keys()].filter((k) => !known.has(k) && !k.endsWith(NBT));
  if (wrong.length || (strict && (missing.length || unexpected.length))) {
    throw new StateDictMismatchError(strict ? missing : [], strict ? unexpected : [], wrong);
  }
  const values = store.specs
    .filter((s) => sd.has(s.key))
    .map((s) => [s, tf.tensor(torchToTf(toNumberArray(sd.get(s.key)!), s.shape, s.kind), tfShape(s), 'float32')] as const);
  for (const [s, v] of values) {
    store.assign(s.key, v);
    v.dispose();
  }
  for (const prefix of store.counters.keys()) {
    const t = sd.get(prefix + NBT);
    if (t) store.counters.set(prefix, Number(toNumberArray(t)[0] ?? 0));
  }
}

/**
 * The store's parameters as a PyTorch state dict, keys in the reference's order, with
 * `num_batches_tracked` (int64) after each BatchNorm's running variance.
 *
 * @example
 * ```ts
 * const sd = await exportStateDict(model.G);
 * ```
 */
export async function exportStateDict(store: ParamStore): Promise<StateDict> {
  const sd: StateDict = new Map();
  for (const spec of store.specs) {
    const data = await store.get(spec.key).data();
    sd.set(spec.key, { dtype: 'float32', shape: spec.shape.slice(), data: tfToTorch(data as Float32Array, spec.shape, spec.kind) });
    if (spec.key.endsWith('.running_var')) {
      const prefix = spec.key.slice(0, -'.running_var'.length);
      sd.set(prefix + NBT, { dtype: 'int64', shape: [], data: BigInt64Array.from([BigInt(store.counters.get(prefix) ?? 0)]) });
    }
  }
  return sd;
}

/** Total number of float values in a state dict (for reports). */
export function stateDictSize(sd: StateDict): number {
  let n = 0;
  for (const t of sd.values()) n += sizeOf(t.shape);
  return n;
}
