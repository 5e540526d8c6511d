/**
 * Adam in PyTorch's bias-corrected form
 * (`p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`), with its state held in
 * variables so it can be saved, restored and resumed exactly.
 */
import { tf } from '../core/tf.js';
import type { Tensor, Variable } from '../core/tf.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../core/fused-kernels.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class Adam {
  readonly config: AdamConfig;
  /** Steps taken (PyTorch's `state['step']`). */
  step = 0;
  /** Multiplier of `config.lr` (the LR schedule position). */
  lrScale = 1;
  readonly m: Variable[];
  readonly v: Variable[];
  private readonly params: Variable[];

  /**
   * @example
   * ```ts
   * const opt = new Adam(store.trainable(), { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
   * ```
   */
  constructor(params: Variable[], config: AdamConfig) {
    this.params = params;
    this.config = config;
    this.m = params.map((p) => zeroVariable(p));
    this.v = params.map((p) => zeroVariable(p));
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
    // One fused kernel per parameter where the backend registered it (a GPU backend pays a fixed
    // cost per kernel, and this chain is 13 of them); the same float32 arithmetic either way.
    const fused = tf.getKernel(ADAM_KERNEL, tf.getBackend()) != null;
    const attrs: AdamKernelAttrs = { beta1: b1, beta2: b2, epsilon, stepSize, bc2Sqrt };
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i];
        if (fused) {
          const [p2, m2, v2] = tf
            .engine()
            .runKernel(
              ADAM_KERNEL,
              { param: p, grad: g, m: this.m[i], v: this.v[i] },
              attrs,
            ) as Tensor[];
          this.m[i].assign(m2);
          this.v[i].assign(v2);
          p.assign(p2);
          return;
        }
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), epsilon);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

function zeroVariable(like: Variable): Variable {
  // tf.variable() keeps its own reference to the data; the initial tensor must still be disposed.
  const z = tf.zerosLike(like);
  const v = tf.variable(z, false);
  z.dispose();
  return v;
}
