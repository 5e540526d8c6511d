/**
 * The few layers pix2pix needs, written only against tfjs-core ops (NHWC) so they run unchanged on
 * every backend. Weights come from a {@link ParamStore} by their PyTorch keys.
 */
import { tf } from '../core/tf.js';
import type { Tensor, Tensor4D } from '../core/tf.js';
import type { NormKind } from './config.js';
import type { ParamSpec, ParamStore } from './params.js';
import {
  ACTIVATION_KERNELS,
  ACT_GRAD_KERNEL,
  CONCAT_ACT_KERNEL,
  DROPOUT_KERNEL,
  type ActKernelAttrs,
  type DropoutKernelAttrs,
  BATCH_NORM_KERNELS,
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_RUNNING_KERNEL,
  BN_RUNNING_MAX,
  BN_STATS_KERNEL,
  runningStatsNames,
  type BatchNormKernelAttrs,
} from '../core/fused-kernels.js';
import { tapeOp } from './tape.js';

/** BatchNorm / InstanceNorm epsilon and BatchNorm momentum of PyTorch's defaults. */
export const NORM_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** How a forward pass runs. */
export interface ForwardContext {
  /** BatchNorm normalises with the batch's statistics (PyTorch `train()`), else running ones. */
  batchStats: boolean;
  /** Update BatchNorm running statistics (each train-mode forward does, as in PyTorch). */
  updateStats: boolean;
  /** Dropout masks (already scaled by 1/(1-p)) by layer key; absent = dropout off. */
  dropoutMasks?: Map<string, Tensor>;
  /** `dropoutMasks` holds uniform draws `u` for {@link dropout}, not masks. */
  dropoutUniforms?: boolean;
  /**
   * Where given (and the backend has the fused BatchNorm kernels), `updateStats` collects each
   * layer's batch statistics here instead of updating the running statistics at once;
   * {@link applyDeferredStats} applies them later, all forwards of a layer in one kernel per buffer.
   */
  deferredStats?: DeferredStats;
  /**
   * Eval mode only: `false` runs the layer-by-layer graph instead of the folded inference path
   * (generator.ts `generatorForwardEval`); for parity tests and before/after counts.
   * @defaultValue true
   */
  fold?: boolean;
}

/** Batch statistics of BatchNorm layers waiting for their running update, by layer prefix. */
export type DeferredStats = Map<string, { stats: Tensor[]; unbias: number }>;

/**
 * Applies the running-statistics updates that `deferredStats` collected, in the order of the
 * forwards, one {@link BN_RUNNING_KERNEL} per running buffer and layer (up to
 * {@link BN_RUNNING_MAX} forwards a call), and disposes the statistics: the values PyTorch's
 * update after each forward gives. The D update and the G update's D pass use it: D's three
 * train-mode forwards a step update each BatchNorm layer with 2 programs instead of 6.
 */
export function applyDeferredStats(store: ParamStore, deferred: DeferredStats): void {
  for (const [prefix, { stats, unbias }] of deferred) {
    tf.tidy(() => {
      for (let i = 0; i < stats.length; i += BN_RUNNING_MAX) {
        const chunk = stats.slice(i, i + BN_RUNNING_MAX);
        const inputs: tf.NamedTensorMap = {};
        runningStatsNames(chunk.length).forEach((k, j) => (inputs[k] = chunk[j]!));
        for (const [key, row, scale] of [
          ['running_mean', 0, 1],
          ['running_var', 1, unbias],
        ] as const) {
          const running = store.get(`${prefix}.${key}`);
          const attrs: BatchNormKernelAttrs = { row, momentum: BN_MOMENTUM, scale };
          running.assign(
            tf.engine().runKernel(BN_RUNNING_KERNEL, { running, ...inputs }, attrs) as Tensor,
          );
        }
      }
    });
    tf.dispose(stats);
  }
  deferred.clear();
}

/** A k4 convolution with PyTorch padding `pad` (explicit, symmetric). */
export function conv(
  store: ParamStore,
  prefix: string,
  x: Tensor4D,
  stride: 1 | 2,
  pad: number,
  bias: boolean,
): Tensor4D {
  const w = store.get(`${prefix}.weight`) as unknown as Tensor4D;
  const b = bias ? store.get(`${prefix}.bias`) : undefined;
  const forward = (): Tensor => {
    const y = tf.conv2d(x, w, stride, pad);
    return b ? tf.add(y, b) : y;
  };
  // tfjs's Conv2D and Add gradients.
  const grads = (dy: Tensor, [xs, ws]: Tensor[]) => ({
    x: () => tf.conv2dTranspose(dy as Tensor4D, ws as Tensor4D, x.shape, stride, pad),
    w: () => filterGrad(xs as Tensor4D, dy as Tensor4D, w.shape, stride, pad),
    b: () => tf.sum(dy, [0, 1, 2]),
  });
  const inputs: Record<string, Tensor> = b ? { x, w, b } : { x, w };
  return tapeOp(inputs, forward, grads, { tensors: [x, w] }) as Tensor4D;
}

/** A k4 s2 p1 transposed convolution (PyTorch ConvTranspose2d(in, out, 4, 2, 1)): doubles H and W. */
export function convT(
  store: ParamStore,
  prefix: string,
  x: Tensor4D,
  outChannels: number,
  bias: boolean,
): Tensor4D {
  const [n, h, w] = x.shape;
  const k = store.get(`${prefix}.weight`) as unknown as Tensor4D;
  const b = bias ? store.get(`${prefix}.bias`) : undefined;
  const forward = (): Tensor => {
    const y = tf.conv2dTranspose(x, k, [n, h * 2, w * 2, outChannels], 2, 1);
    return b ? tf.add(y, b) : y;
  };
  // tfjs's Conv2DBackpropInput gradient: a conv of dy, and the filter gradient with x as `dy`.
  const grads = (dy: Tensor, [xs, ks]: Tensor[]) => ({
    x: () => tf.conv2d(dy as Tensor4D, ks as Tensor4D, 2, 1),
    w: () => filterGrad(dy as Tensor4D, xs as Tensor4D, k.shape, 2, 1),
    b: () => tf.sum(dy, [0, 1, 2]),
  });
  const inputs: Record<string, Tensor> = b ? { x, w: k, b } : { x, w: k };
  return tapeOp(inputs, forward, grads, { tensors: [x, k] }) as Tensor4D;
}

/** The `Conv2DBackpropFilter` kernel as tfjs's conv gradients call it (NHWC). */
function filterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  stride: number,
  pad: number,
): Tensor {
  return tf
    .engine()
    .runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: stride, pad, dataFormat: 'NHWC', filterShape },
    ) as Tensor;
}

/** Whether the active backend registered the activation kernels of src/core/fused-kernels.ts. */
function hasFusedActivation(): boolean {
  const backend = tf.getBackend();
  return ACTIVATION_KERNELS.every((k) => tf.getKernel(k, backend) != null);
}

/** {@link ACT_GRAD_KERNEL}: `dy * f'(y)` over channels `[begin, begin + size)` (default all). */
function actGrad(dy: Tensor, y: Tensor, attrs: ActKernelAttrs): Tensor {
  return tf.engine().runKernel(ACT_GRAD_KERNEL, { dy, y }, attrs) as Tensor;
}

/**
 * LeakyReLU of `slope` (0: ReLU), with tfjs's gradients (`dy * step(x)`; `dy` where `x > 0`, else
 * `dy * slope`, computed as `dy * step(x, slope)`), or, where the backend registered the
 * activation kernels, the same products from the output in one kernel.
 */
export function activation(x: Tensor4D, slope: number): Tensor4D {
  const forward = () => (slope === 0 ? tf.relu(x) : tf.leakyRelu(x, slope));
  if (hasFusedActivation())
    return tapeOp(
      { x },
      forward,
      (dy, [y]) => ({ x: () => actGrad(dy, y!, { kind: 'leaky', slope }) }),
      { output: true },
    ) as Tensor4D;
  const save = { tensors: [x] };
  if (slope === 0)
    return tapeOp(
      { x },
      () => tf.relu(x),
      (dy, [xs]) => ({ x: () => tf.mul(dy, tf.step(xs!)) }),
      save,
    ) as Tensor4D;
  return tapeOp(
    { x },
    () => tf.leakyRelu(x, slope),
    // tfjs's where(x > 0, dy, dy * slope) as dy * step(x, slope): the same products, 2 kernels
    // instead of 3, and the slope an attribute rather than two scalar uploads per call.
    (dy, [xs]) => ({ x: () => tf.mul(dy, tf.step(xs!, slope)) }),
    save,
  ) as Tensor4D;
}

/** tanh, with tfjs's gradient `(1 - y^2) * dy` from the saved output (one kernel where fused). */
export function tanh(x: Tensor4D): Tensor4D {
  const fused = hasFusedActivation();
  return tapeOp(
    { x },
    () => tf.tanh(x),
    (dy, [y]) => ({
      x: () =>
        fused
          ? actGrad(dy, y!, { kind: 'tanh', slope: 0 })
          : tf.mul(tf.sub(tf.scalar(1), tf.square(y!)), dy),
    }),
    { output: true },
  ) as Tensor4D;
}

/**
 * Channel concatenation (NHWC) of two tensors, then a LeakyReLU of `slope` when given (0: ReLU);
 * the gradient is split back. Where the backend registered the activation kernels, an activated
 * concatenation is one kernel forward and one per input backward (the slice and the
 * activation's mask together).
 */
export function concatChannels(a: Tensor4D, b: Tensor4D, slope?: number): Tensor4D {
  const sizes = [a.shape[3], b.shape[3]];
  if (slope !== undefined && hasFusedActivation()) {
    const attrs: ActKernelAttrs = { slope };
    return tapeOp(
      { a, b },
      () => tf.engine().runKernel(CONCAT_ACT_KERNEL, { a, b }, attrs) as Tensor,
      (dy, [y]) => ({
        a: () => actGrad(dy, y!, { kind: 'leaky', slope, begin: 0, size: sizes[0]! }),
        b: () => actGrad(dy, y!, { kind: 'leaky', slope, begin: sizes[0]!, size: sizes[1]! }),
      }),
      { output: true },
    ) as Tensor4D;
  }
  const y = tapeOp(
    { a, b },
    () => tf.concat([a, b], 3),
    // One slice per input, each run only when that input's gradient is needed.
    (dy) => ({
      a: () => tf.slice(dy, [0, 0, 0, 0], [-1, -1, -1, sizes[0]!]),
      b: () => tf.slice(dy, [0, 0, 0, sizes[0]!], [-1, -1, -1, sizes[1]!]),
    }),
  ) as Tensor4D;
  return slope === undefined ? y : activation(y, slope);
}

/**
 * Dropout through the backend's {@link DROPOUT_KERNEL} from uniform draws `u` (constant): `x * 2`
 * where `u > 0.5`, else 0, as `maskMul(x, step(u - 0.5) * 2)`; one kernel each way.
 */
export function dropout(x: Tensor4D, u: Tensor): Tensor4D {
  const attrs: DropoutKernelAttrs = { threshold: 0.5, scale: 2 };
  const run = (t: Tensor, us: Tensor) =>
    tf.engine().runKernel(DROPOUT_KERNEL, { x: t, u: us }, attrs) as Tensor;
  return tapeOp(
    { x },
    () => run(x, u),
    (dy, [us]) => ({ x: () => run(dy, us!) }),
    {
      tensors: [u],
    },
  ) as Tensor4D;
}

/** `x * mask` for a constant mask (dropout): the gradient is `dy * mask`. */
export function maskMul(x: Tensor4D, mask: Tensor): Tensor4D {
  return tapeOp(
    { x },
    () => tf.mul(x, mask),
    (dy, [m]) => ({ x: () => tf.mul(dy, m!) }),
    { tensors: [mask] },
  ) as Tensor4D;
}

/**
 * BatchNorm2d / InstanceNorm2d / identity, then a LeakyReLU of `slope` when given (0: ReLU). In
 * batch-statistics mode BatchNorm normalises with the biased variance but updates `running_var`
 * with the unbiased one (PyTorch's rule), momentum 0.1.
 */
export function norm(
  store: ParamStore,
  prefix: string,
  x: Tensor4D,
  kind: NormKind,
  ctx: ForwardContext,
  slope?: number,
): Tensor4D {
  const act = (y: Tensor4D): Tensor4D => (slope === undefined ? y : activation(y, slope));
  if (kind === 'none') return act(x);
  if (kind === 'instance') {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return act(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, NORM_EPS))));
  }
  const gamma = store.get(`${prefix}.weight`);
  const beta = store.get(`${prefix}.bias`);
  const rm = store.get(`${prefix}.running_mean`);
  const rv = store.get(`${prefix}.running_var`);
  if (!ctx.batchStats) return act(tf.batchNorm(x, rm, rv, beta, gamma, NORM_EPS) as Tensor4D);
  const [n, h, w] = x.shape;
  const count = n * h * w;
  const unbias = count > 1 ? count / (count - 1) : 1;
  if (hasFusedBatchNorm()) {
    // The backend's own BatchNorm kernels: statistics, normalisation and each running update in
    // one kernel apiece (a GPU backend pays a fixed cost per kernel); the same arithmetic.
    const { y, stats } = batchNormTrainFused(x, gamma, beta, slope);
    const deferred = ctx.deferredStats;
    if (ctx.updateStats && deferred) {
      const entry = deferred.get(prefix);
      if (entry && entry.unbias !== unbias)
        throw new Error(`internal: deferred statistics of ${prefix} from inputs of two sizes`);
      if (entry) entry.stats.push(tf.keep(stats));
      else deferred.set(prefix, { stats: [tf.keep(stats)], unbias });
      store.counters.set(prefix, (store.counters.get(prefix) ?? 0) + 1);
    } else if (ctx.updateStats) {
      const run = (running: Tensor, row: number, scale: number): Tensor => {
        const attrs: BatchNormKernelAttrs = { row, momentum: BN_MOMENTUM, scale };
        return tf.engine().runKernel(BN_RUNNING_KERNEL, { running, stats }, attrs) as Tensor;
      };
      rm.assign(run(rm, 0, 1));
      rv.assign(run(rv, 1, unbias));
      store.counters.set(prefix, (store.counters.get(prefix) ?? 0) + 1);
    }
    return y;
  }
  const { y, mean, variance } = batchNormTrain(x, gamma, beta);
  if (ctx.updateStats) {
    // Running statistics never carry gradients; computed from the batch's own values.
    rm.assign(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
    rv.assign(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(variance, BN_MOMENTUM * unbias)));
    store.counters.set(prefix, (store.counters.get(prefix) ?? 0) + 1);
  }
  tf.dispose([mean, variance]);
  return act(y);
}

/** Whether the active backend registered every BatchNorm kernel of src/core/fused-kernels.ts. */
function hasFusedBatchNorm(): boolean {
  const backend = tf.getBackend();
  return BATCH_NORM_KERNELS.every((k) => tf.getKernel(k, backend) != null);
}

/**
 * {@link batchNormTrain} (and the activation of `slope`, if any) through the backend's BatchNorm
 * kernels: one statistics kernel and one normalisation kernel forward, one kernel backward (from
 * `x`, the statistics and `gamma`, which recompute `xhat`, and the output, whose sign is the
 * activation's mask). The statistics are computed outside the differentiable op (the closed-form
 * backward accounts for them) and returned; they live in the caller's scope like any intermediate.
 */
function batchNormTrainFused(
  x: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
  slope?: number,
): { y: Tensor4D; stats: Tensor } {
  const attrs: BatchNormKernelAttrs =
    slope === undefined ? { epsilon: NORM_EPS } : { epsilon: NORM_EPS, slope };
  const stats = tf.engine().runKernel(BN_STATS_KERNEL, { x }) as Tensor;
  const y = tapeOp(
    { x, gamma, beta },
    () => tf.engine().runKernel(BN_APPLY_KERNEL, { x, stats, gamma, beta }, attrs) as Tensor,
    (dy, [xs, ss, gs, ys]) => {
      const inputs: tf.NamedTensorMap = { dy, x: xs!, stats: ss!, gamma: gs! };
      if (ys) inputs.y = ys;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_GRAD_KERNEL, inputs, attrs) as Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
    { tensors: [x, stats, gamma], output: slope !== undefined },
  );
  return { y: y as Tensor4D, stats };
}

/**
 * BatchNorm with batch statistics as one custom-gradient op, so the tape holds one node instead
 * of the ~20 kernels of `tf.moments` and the affine (and their autodiff): on GPU backends each
 * kernel costs a fixed dispatch overhead. Forward: the biased variance of the centred input, then
 * one `FusedBatchNorm` kernel. Backward: PyTorch's closed form
 * `dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))`, `dgamma = sum(dy * xhat)`,
 * `dbeta = sum(dy)`. Returns the batch mean and biased variance too (the caller disposes them).
 */
function batchNormTrain(
  x: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
): { y: Tensor4D; mean: Tensor; variance: Tensor } {
  let mean!: Tensor;
  let variance!: Tensor;
  const [n, h, w] = x.shape;
  const invCount = 1 / (n * h * w);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [x4, g, b, save] = args as [Tensor4D, Tensor, Tensor, tf.GradSaveFunc];
    const m = tf.mean(x4, [0, 1, 2]);
    const xc = tf.sub(x4, m);
    const v = tf.mean(tf.square(xc), [0, 1, 2]);
    const rstd = tf.rsqrt(tf.add(v, NORM_EPS));
    mean = tf.keep(m);
    variance = tf.keep(v);
    save([xc, rstd, g]);
    return {
      value: tf.batchNorm(x4, m, v, b, g, NORM_EPS) as Tensor,
      gradFunc: (dy: Tensor, [xcS, rstdS, gS]: Tensor[]) => {
        const xhat = tf.mul(xcS, rstdS);
        const dbeta = tf.sum(dy, [0, 1, 2]);
        const dgamma = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
        const centred = tf.sub(
          tf.sub(dy, tf.mul(dbeta, invCount)),
          tf.mul(xhat, tf.mul(dgamma, invCount)),
        );
        return [tf.mul(centred, tf.mul(gS, rstdS)), dgamma, dbeta];
      },
    };
  });
  const y = f(x, gamma, beta) as Tensor4D;
  return { y, mean, variance };
}

/** Param specs of a conv layer (weight, and bias when `bias`). */
export function convSpecs(prefix: string, outC: number, inC: number, bias: boolean): ParamSpec[] {
  const specs: ParamSpec[] = [
    {
      key: `${prefix}.weight`,
      shape: [outC, inC, 4, 4],
      kind: 'conv',
      trainable: true,
      init: 'normal0',
    },
  ];
  if (bias)
    specs.push({
      key: `${prefix}.bias`,
      shape: [outC],
      kind: 'vector',
      trainable: true,
      init: 'zeros',
    });
  return specs;
}

/** Param specs of a transposed conv layer (PyTorch weight `[in, out, 4, 4]`). */
export function convTSpecs(prefix: string, inC: number, outC: number, bias: boolean): ParamSpec[] {
  const specs: ParamSpec[] = [
    {
      key: `${prefix}.weight`,
      shape: [inC, outC, 4, 4],
      kind: 'convT',
      trainable: true,
      init: 'normal0',
    },
  ];
  if (bias)
    specs.push({
      key: `${prefix}.bias`,
      shape: [outC],
      kind: 'vector',
      trainable: true,
      init: 'zeros',
    });
  return specs;
}

/** Param specs of a norm layer: BatchNorm has weight, bias and running statistics; the others none. */
export function normSpecs(prefix: string, channels: number, kind: NormKind): ParamSpec[] {
  if (kind !== 'batch') return [];
  return [
    {
      key: `${prefix}.weight`,
      shape: [channels],
      kind: 'vector',
      trainable: true,
      init: 'normal1',
    },
    { key: `${prefix}.bias`, shape: [channels], kind: 'vector', trainable: true, init: 'zeros' },
    {
      key: `${prefix}.running_mean`,
      shape: [channels],
      kind: 'vector',
      trainable: false,
      init: 'zeros',
    },
    {
      key: `${prefix}.running_var`,
      shape: [channels],
      kind: 'vector',
      trainable: false,
      init: 'ones',
    },
  ];
}

/**
 * Whether the reference gives convolutions a bias under this norm: only with InstanceNorm (its
 * `use_bias = norm_layer == InstanceNorm2d`, which is also false for `norm='none'`).
 */
export function convBias(kind: NormKind): boolean {
  return kind === 'instance';
}

/**
 * Whether a conv's bias is applied in the forward pass. A bias right before an InstanceNorm is
 * cancelled exactly by its mean subtraction, so its true gradient is zero; adding it would only
 * inject float32 round-off into that gradient, which Adam (dividing by sqrt(v) + 1e-8) blows up
 * into updates of ~lr per step where the float64 reference moves ~1e-11. The bias is still a
 * parameter (loaded, saved, exported) exactly as in the reference.
 */
export function appliedBias(hasBias: boolean, followedByNorm: boolean, kind: NormKind): boolean {
  return hasBias && !(followedByNorm && kind === 'instance');
}
