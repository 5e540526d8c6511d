/**
 * Mapping between the reference's PyTorch state dicts and a {@link ParamStore}: layouts, the
 * `module.` prefix of DataParallel, `num_batches_tracked`, and PyTorch-style mismatch reports.
 */
import { tf } from '../core/tf.js';
import { StateDictMismatchError } from '../core/errors.js';
import { sizeOf, type StateDict, type StateTensor } from '../core/state-dict.js';
import { tfToTorch, torchToTf, tfShape, type ParamStore } from './params.js';
import type { PthLimits } from '../core/pth/index.js';

export interface LoadOptions {
  /**
   * Require every key of the model to be present and no extra key (PyTorch's `strict`).
   * `num_batches_tracked` may always be missing or extra. @defaultValue true
   */
  strict?: boolean;
  /**
   * `loadPth` only: the entry of a checkpoint dict that holds the state dict (e.g. `'netG'` in
   * `{ netG, netD, opt }`). By default the dict itself, or its `state_dict` / `model` entry.
   */
  key?: string;
  /**
   * `loadPth` only: limits of reading the file, as `readPth(bytes, { limits })` takes them (raise
   * them for trusted files past the defaults; see docs/security.md).
   */
  limits?: Partial<PthLimits>;
}

const NBT = '.num_batches_tracked';

/**
 * Brings a PyTorch state dict to the reference's current keys: strips a DataParallel `module.`
 * prefix when every key has it, and drops the running buffers that PyTorch 0.3 saved for
 * InstanceNorm layers (see {@link patchInstanceNormBuffers}).
 */
export function stripModulePrefix(sd: StateDict): StateDict {
  const keys = [...sd.keys()];
  if (!keys.length || !keys.every((k) => k.startsWith('module.')))
    return patchInstanceNormBuffers(sd);
  return patchInstanceNormBuffers(
    new Map(keys.map((k) => [k.slice('module.'.length), sd.get(k)!])),
  );
}

const patched = new WeakSet<StateDict>();

/**
 * PyTorch <= 0.3 saved `running_mean` / `running_var` for `InstanceNorm2d(affine=False)`, which
 * later versions no longer have; the reference repository deletes them on load
 * (`__patch_instance_norm_state_dict` in `models/base_model.py`). The same is done here: a norm
 * layer with running statistics but no `weight` is an InstanceNorm (the reference's BatchNorm is
 * always affine), and its `running_mean`, `running_var` and `num_batches_tracked` are dropped,
 * with one `console.warn` naming how many. Other state dicts are returned unchanged.
 *
 * @example
 * ```ts
 * const sd = patchInstanceNormBuffers(readPth(bytes)); // a pytorch-0.3 instance-norm G loads
 * ```
 */
export function patchInstanceNormBuffers(sd: StateDict): StateDict {
  const stale = [...sd.keys()]
    .filter((k) => k.endsWith('.running_mean'))
    .map((k) => k.slice(0, -'.running_mean'.length))
    .filter((p) => !sd.has(`${p}.weight`));
  if (!stale.length) return sd;
  const drop = new Set(
    stale.flatMap((p) => [`${p}.running_mean`, `${p}.running_var`, `${p}${NBT}`]),
  );
  const out: StateDict = new Map([...sd].filter(([k]) => !drop.has(k)));
  if (!patched.has(sd)) {
    patched.add(sd);
    console.warn(
      `pix2pix-ts: ignoring the running statistics of ${stale.length} InstanceNorm layer(s) (${stale[0]}, ...): a PyTorch <= 0.3 checkpoint; InstanceNorm without affine has none since PyTorch 0.4 (the reference repository drops them the same way).`,
    );
  }
  return out;
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
      wrong.push(
        `for ${spec.key}: copying a param with shape [${t.shape.join(', ')}] from checkpoint, the shape in current model is [${spec.shape.join(', ')}]`,
      );
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
    .map(
      (s) =>
        [
          s,
          tf.tensor(
            torchToTf(toNumberArray(sd.get(s.key)!), s.shape, s.kind),
            tfShape(s),
            'float32',
          ),
        ] as const,
    );
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
    sd.set(spec.key, {
      dtype: 'float32',
      shape: spec.shape.slice(),
      data: tfToTorch(data as Float32Array, spec.shape, spec.kind),
    });
    if (spec.key.endsWith('.running_var')) {
      const prefix = spec.key.slice(0, -'.running_var'.length);
      sd.set(prefix + NBT, {
        dtype: 'int64',
        shape: [],
        data: BigInt64Array.from([BigInt(store.counters.get(prefix) ?? 0)]),
      });
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
