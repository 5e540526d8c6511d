/**
 * Parameter storage keyed by the reference's PyTorch state_dict keys, so that loading and saving
 * `.pth` files is a mapping of layouts only. Values live in tfjs variables in NHWC-friendly layouts:
 * Conv2d `[out,in,kh,kw]` and ConvTranspose2d `[in,out,kh,kw]` both become `[kh,kw,b,a]`
 * (tfjs conv2d wants `[kh,kw,in,out]`, conv2dTranspose `[kh,kw,out,in]`).
 */
import { tf } from '../core/tf.js';
import type { Variable, Tensor } from '../core/tf.js';
import { sizeOf } from '../core/state-dict.js';

/** How a parameter is laid out and initialised. */
export type ParamKind = 'conv' | 'convT' | 'vector';
export type ParamInit = 'normal0' | 'normal1' | 'zeros' | 'ones';

export interface ParamSpec {
  /** PyTorch state_dict key. */
  key: string;
  /** Shape in PyTorch's layout. */
  shape: number[];
  kind: ParamKind;
  /** Trained by the optimizer (false for running statistics). */
  trainable: boolean;
  init: ParamInit;
}

/** Shape of a parameter in our (tfjs) layout. */
export function tfShape(spec: ParamSpec): number[] {
  if (spec.kind === 'vector') return spec.shape.slice();
  const [a, b, kh, kw] = spec.shape;
  return [kh, kw, b, a];
}

/**
 * Reorders a 4-D PyTorch weight `[a,b,kh,kw]` (C order) into `[kh,kw,b,a]`; vectors are copied.
 *
 * @example
 * ```ts
 * const ours = torchToTf(new Float32Array(16 * 3 * 16), [16, 3, 4, 4], 'conv');
 * ```
 */
export function torchToTf(data: ArrayLike<number>, shape: number[], kind: ParamKind): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  if (kind === 'vector') {
    out.set(data);
    return out;
  }
  const [A, B, KH, KW] = shape;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      for (let y = 0; y < KH; y++)
        for (let x = 0; x < KW; x++)
          out[((y * KW + x) * B + b) * A + a] = data[((a * B + b) * KH + y) * KW + x];
  return out;
}

/**
 * Inverse of {@link torchToTf}: our `[kh,kw,b,a]` back to PyTorch's `[a,b,kh,kw]`.
 *
 * @example
 * ```ts
 * const torch = tfToTorch(ours, [16, 3, 4, 4], 'conv');
 * ```
 */
export function tfToTorch(data: ArrayLike<number>, shape: number[], kind: ParamKind): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  if (kind === 'vector') {
    out.set(data);
    return out;
  }
  const [A, B, KH, KW] = shape;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      for (let y = 0; y < KH; y++)
        for (let x = 0; x < KW; x++)
          out[((a * B + b) * KH + y) * KW + x] = data[((y * KW + x) * B + b) * A + a];
  return out;
}

/**
 * The parameters and running statistics of one network, plus BatchNorm's `num_batches_tracked`
 * counters (kept as JS numbers; they are int64 in PyTorch).
 */
export class ParamStore {
  readonly specs: ParamSpec[];
  readonly vars = new Map<string, Variable>();
  /** BatchNorm prefix -> num_batches_tracked. */
  readonly counters = new Map<string, number>();
  /** Tensors derived from parameters (folded weights), by name, with the sources' data ids. */
  private readonly derivedCache = new Map<string, { ids: object[]; values: Tensor[] }>();
  private disposed = false;

  constructor(specs: ParamSpec[], seed: number, name: string) {
    this.specs = specs;
    specs.forEach((spec, i) => {
      const shape = tfShape(spec);
      const value = tf.tidy(() => {
        switch (spec.init) {
          case 'normal0':
            return tf.randomNormal(shape, 0, 0.02, 'float32', seed * 7919 + i + 1);
          case 'normal1':
            return tf.randomNormal(shape, 1, 0.02, 'float32', seed * 7919 + i + 1);
          case 'ones':
            return tf.ones(shape);
          default:
            return tf.zeros(shape);
        }
      });
      this.vars.set(spec.key, tf.variable(value, spec.trainable, `${name}/${spec.key}`));
      value.dispose();
    });
    for (const spec of specs) {
      if (spec.key.endsWith('.running_mean'))
        this.counters.set(spec.key.slice(0, -'.running_mean'.length), 0);
    }
  }

  /** The variable of a key (throws on an unknown key: a programming error). */
  get(key: string): Variable {
    const v = this.vars.get(key);
    if (!v) throw new Error(`internal: no parameter "${key}"`);
    return v;
  }

  has(key: string): boolean {
    return this.vars.has(key);
  }

  /** Trainable variables in spec order. */
  trainable(): Variable[] {
    return this.specs.filter((s) => s.trainable).map((s) => this.get(s.key));
  }

  /** Replaces a value (our layout), keeping the variable. */
  assign(key: string, value: Tensor): void {
    this.get(key).assign(value);
  }

  /**
   * Tensors computed from the current values of `sources` (e.g. BatchNorm folded into a conv's
   * weights): made by `make` on first use, then returned as long as every source holds the same
   * data. A variable's `assign` (an optimizer step, a running-statistics update, a weight load)
   * gives it a new data id, so any change invalidates the entry and the next call recomputes it;
   * the stale tensors are disposed then. The caller must not dispose the returned tensors; they
   * survive an enclosing `tf.tidy`.
   *
   * @example
   * ```ts
   * const [w2] = store.derived('twice', [store.get('w')], () => [tf.mul(store.get('w'), 2)]);
   * ```
   */
  derived(name: string, sources: Variable[], make: () => Tensor[]): Tensor[] {
    const ids = sources.map((v) => v.dataId);
    const hit = this.derivedCache.get(name);
    if (hit && hit.ids.length === ids.length && hit.ids.every((id, i) => id === ids[i]))
      return hit.values;
    if (hit) tf.dispose(hit.values);
    const values = tf.tidy(make).map((t) => tf.keep(t));
    this.derivedCache.set(name, { ids, values });
    return values;
  }

  /** How many derived entries are cached (tests). */
  get derivedCount(): number {
    return this.derivedCache.size;
  }

  /** How many tensors the derived entries hold (leak checks that allow for them). */
  get derivedTensors(): number {
    let n = 0;
    for (const { values } of this.derivedCache.values()) n += values.length;
    return n;
  }

  /**
   * Frees every derived tensor (they are recomputed on demand). Training calls it so that a
   * folded copy of the weights does not sit in memory, stale, between evaluations.
   */
  dropDerived(): void {
    for (const { values } of this.derivedCache.values()) tf.dispose(values);
    this.derivedCache.clear();
  }

  /** Number of trainable scalars. */
  countParams(): number {
    return this.specs.filter((s) => s.trainable).reduce((n, s) => n + sizeOf(s.shape), 0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropDerived();
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
