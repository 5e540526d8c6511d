/**
 * Adam in PyTorch's bias-corrected form
 * (`p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`), with its state held in
 * variables so it can be saved, restored and resumed exactly. The moments of each group of up to
 * {@link ADAM_GROUP} consecutive parameters are packed in one `[2, n]` state variable (m in row 0,
 * v in row 1), so that a GPU backend updates a group in one program plus one per parameter.
 */
import { tf } from '../core/tf.js';
import type { Tensor, Variable } from '../core/tf.js';
import { ADAM_GROUP, ADAM_KERNEL, type AdamKernelAttrs } from '../core/fused-kernels.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * One parameter's first or second moment, a view of its group's packed state: read and written
 * like a variable (`data()`, `assign()`), as checkpoints do.
 */
export interface MomentSlot {
  readonly shape: number[];
  data(): Promise<Float32Array>;
  assign(value: Tensor): void;
}

interface Group {
  /** Index of the group's first parameter. */
  start: number;
  sizes: number[];
  n: number;
  state: Variable;
}

export class Adam {
  readonly config: AdamConfig;
  /** Steps taken (PyTorch's `state['step']`). */
  step = 0;
  /** Multiplier of `config.lr` (the LR schedule position). */
  lrScale = 1;
  /** First moments, one per parameter. */
  readonly m: MomentSlot[];
  /** Second moments, one per parameter. */
  readonly v: MomentSlot[];
  private readonly params: Variable[];
  private readonly groups: Group[] = [];

  /**
   * @example
   * ```ts
   * const opt = new Adam(store.trainable(), { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
   * ```
   */
  constructor(params: Variable[], config: AdamConfig) {
    this.params = params;
    this.config = config;
    this.m = [];
    this.v = [];
    for (let start = 0; start < params.length; start += ADAM_GROUP) {
      const sizes = params.slice(start, start + ADAM_GROUP).map((p) => p.size);
      const n = sizes.reduce((a, b) => a + b, 0);
      const z = tf.zeros([2, n]);
      const group: Group = { start, sizes, n, state: tf.variable(z, false) };
      z.dispose();
      this.groups.push(group);
      let off = 0;
      sizes.forEach((size, k) => {
        const shape = params[start + k]!.shape;
        this.m.push(slot(group, 0, off, size, shape));
        this.v.push(slot(group, 1, off, size, shape));
        off += size;
      });
    }
  }

  /** Number of packed state groups (one fused kernel each per step). */
  get groupCount(): number {
    return this.groups.length;
  }

  /** Applies one update given gradients in the same order as the params. */
  apply(grads: Tensor[]): void {
    if (grads.length !== this.params.length)
      throw new Error('internal: gradient count does not match parameters');
    this.step += 1;
    const { beta1: b1, beta2: b2, epsilon } = this.config;
    const lr = this.config.lr * this.lrScale;
    const bc1 = 1 - b1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.step);
    const stepSize = lr / bc1;
    // One fused kernel per group where the backend registered it (a GPU backend pays a fixed
    // cost per kernel, and this chain is 13 of them per parameter); the same float32 arithmetic.
    const fused = tf.getKernel(ADAM_KERNEL, tf.getBackend()) != null;
    const attrs: AdamKernelAttrs = { beta1: b1, beta2: b2, epsilon, stepSize, bc2Sqrt };
    tf.tidy(() => {
      for (const group of this.groups) {
        const params = this.params.slice(group.start, group.start + group.sizes.length);
        const gs = grads.slice(group.start, group.start + group.sizes.length);
        if (fused) {
          const inputs: tf.NamedTensorMap = { state: group.state };
          params.forEach((p, k) => {
            inputs[`p${k}`] = p;
            inputs[`g${k}`] = gs[k]!;
          });
          const [state2, ...params2] = tf
            .engine()
            .runKernel(ADAM_KERNEL, inputs, attrs) as Tensor[];
          group.state.assign(state2!);
          params.forEach((p, k) => p.assign(params2[k]!));
          continue;
        }
        const g = tf.concat(gs.map((t) => tf.reshape(t, [-1])));
        const [m0, v0] = tf.split(group.state, 2, 0).map((t) => tf.reshape(t, [-1]));
        const m = tf.add(tf.mul(m0!, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(v0!, b2), tf.mul(tf.square(g), 1 - b2));
        group.state.assign(tf.stack([m, v]));
        const update = tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2Sqrt), epsilon)), stepSize);
        const parts = tf.split(update, group.sizes);
        params.forEach((p, k) => p.assign(tf.sub(p, tf.reshape(parts[k]!, p.shape))));
      }
    });
  }

  dispose(): void {
    for (const g of this.groups) g.state.dispose();
  }
}

/** The slot of one parameter's moment: `row` 0 (m) or 1 (v), `size` elements from `off`. */
function slot(group: Group, row: number, off: number, size: number, shape: number[]): MomentSlot {
  const begin = row * group.n + off;
  return {
    shape,
    async data() {
      const all = (await group.state.data()) as Float32Array;
      return all.slice(begin, begin + size);
    },
    assign(value: Tensor) {
      const next = tf.tidy(() => {
        const flat = tf.reshape(group.state, [2 * group.n]);
        const parts = [
          tf.slice(flat, 0, begin),
          tf.reshape(value, [size]),
          tf.slice(flat, begin + size, 2 * group.n - begin - size),
        ];
        return tf.reshape(tf.concat(parts), [2, group.n]);
      });
      group.state.assign(next);
      next.dispose();
    },
  };
}
