/**
 * Names and attributes of pix2pix-ts's own fused tfjs kernels: the contract between the model
 * (`src/pix2pix/`, which runs them through `tf.engine().runKernel` when the active backend has
 * them registered, and falls back to plain tfjs ops otherwise) and the backends (`src/backends/`,
 * which register implementations). Like tfjs-core's `kernel_names.ts`.
 */

/**
 * One Adam update of a group of up to {@link ADAM_GROUP} parameters in PyTorch's form, their
 * moments packed in one state tensor: per element, `m' = b1 m + (1 - b1) g`,
 * `v' = b2 v + (1 - b2) g^2`, `p' = p - stepSize * m' / (sqrt(v') / bc2Sqrt + epsilon)`, evaluated
 * in float32 in exactly that order (each product and sum rounded to float32, as the op chain it
 * replaces). Inputs `{ state, g0, p0, g1, p1, ... }` (float32; `gk` shaped like `pk`); `state` is
 * `[2, n]` with `n` the group's total size: row 0 holds the `m` of p0, p1, ... flattened one after
 * the other, row 1 their `v`. Outputs `[state', p0', p1', ...]`. A GPU backend runs one program
 * for the new state and one per parameter, instead of three per parameter.
 */
export const ADAM_KERNEL = 'Pix2PixAdam';

/**
 * Parameters per {@link ADAM_KERNEL} call at most: the state program reads the state and each
 * gradient, and WebGPU binds 8 storage buffers per program by default (7 inputs and the output).
 */
export const ADAM_GROUP = 6;

/**
 * Attributes of {@link ADAM_KERNEL}.
 *
 * @example
 * ```ts
 * const attrs: AdamKernelAttrs = { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 2e-4 / (1 - 0.5), bc2Sqrt: Math.sqrt(1 - 0.999) };
 * ```
 */
// A type alias, not an interface, so it is assignable to tfjs's `NamedAttrMap` index signature.
export type AdamKernelAttrs = {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** `lr / (1 - beta1^t)`. */
  stepSize: number;
  /** `sqrt(1 - beta2^t)`. */
  bc2Sqrt: number;
};

/**
 * Batch statistics of an NHWC tensor in one kernel: output `[2, C]`, row 0 the per-channel mean,
 * row 1 the biased variance (two passes: the mean, then the mean squared deviation from it, as
 * PyTorch's `var(unbiased=False)`). Input `{ x }` (float32, rank 4).
 */
export const BN_STATS_KERNEL = 'Pix2PixBatchStats';

/**
 * BatchNorm with given statistics: `y = (x - mean) * (gamma / sqrt(var + epsilon)) + beta`, then,
 * when the attribute `slope` is set, a LeakyReLU of that slope (`slope` 0: ReLU).
 * Inputs `{ x, stats, gamma, beta }` (`stats` as {@link BN_STATS_KERNEL} returns it); output like `x`.
 */
export const BN_APPLY_KERNEL = 'Pix2PixBatchNormApply';

/**
 * The backward pass of batch-statistics BatchNorm in PyTorch's closed form: with
 * `rstd = 1 / sqrt(var + eps)`, `xhat = (x - mean) * rstd`, `n` elements per channel,
 * `dbeta = sum(dy)`, `dgamma = sum(dy * (x - mean)) * rstd`,
 * `dx = (dy - dbeta / n - xhat * dgamma / n) * gamma * rstd`.
 * Inputs `{ dy, x, stats, gamma }`, and `y` (the forward's output) when `slope` is set: `dy` is
 * first multiplied by the activation's derivative (1 where `y > 0`, else `slope`).
 * Outputs `[dx, dgamma, dbeta]`.
 */
export const BN_GRAD_KERNEL = 'Pix2PixBatchNormGrad';

/**
 * A running-statistics update: `running * (1 - momentum) + stats[row] * (momentum * scale)`
 * (PyTorch's rule; `scale` is the unbiasing factor `n / (n - 1)` for the variance, 1 for the mean).
 * Inputs `{ running, stats }`, and optionally `stats1`, `stats2`, ... (up to {@link BN_RUNNING_MAX}
 * in all): the updates of several forwards of one layer applied in that order in one kernel, each
 * result rounded to float32 as a kernel per update would. Output like `running`.
 */
export const BN_RUNNING_KERNEL = 'Pix2PixBatchNormRunning';

/** Statistics inputs of one {@link BN_RUNNING_KERNEL} call at most. */
export const BN_RUNNING_MAX = 4;

/** The input names of {@link BN_RUNNING_KERNEL}'s statistics, in order of application. */
export function runningStatsNames(count: number): string[] {
  return Array.from({ length: count }, (_, k) => (k === 0 ? 'stats' : `stats${k}`));
}

/**
 * Attributes of the BatchNorm kernels ({@link BN_APPLY_KERNEL}, {@link BN_GRAD_KERNEL}: `epsilon`;
 * {@link BN_RUNNING_KERNEL}: `row`, `momentum`, `scale`).
 *
 * @example
 * ```ts
 * const attrs: BatchNormKernelAttrs = { epsilon: 1e-5, row: 1, momentum: 0.1, scale: 4 / 3 };
 * ```
 */
export type BatchNormKernelAttrs = {
  epsilon?: number;
  /** LeakyReLU slope of a fused activation (0: ReLU); absent: none. */
  slope?: number;
  row?: number;
  momentum?: number;
  scale?: number;
};

/** The BatchNorm kernels, all of which a backend registers for the model to use them. */
export const BATCH_NORM_KERNELS = [
  BN_STATS_KERNEL,
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_RUNNING_KERNEL,
] as const;

/**
 * A loss as one kernel: `scale * mean(f(x[, y]))` over all elements, as a scalar, where `f` is
 * `max(x, 0) - x * target + log(1 + exp(-|x|))` (`bce`, BCE-with-logits against a constant
 * target), `(x - target)^2` (`mse`) or `|x - y|` (`l1`). Inputs `{ x }` or `{ x, y }` (`l1`).
 */
export const LOSS_KERNEL = 'Pix2PixLoss';

/**
 * The gradient of {@link LOSS_KERNEL} with respect to `x`, as one elementwise kernel:
 * `dy * scale / n * f'(x)` with `f'` = `sigmoid(x) - target` (`bce`), `2 (x - target)` (`mse`),
 * `sign(x - y)` (`l1`, 0 at 0 as PyTorch). Inputs `{ dy, x }` or `{ dy, x, y }`.
 */
export const LOSS_GRAD_KERNEL = 'Pix2PixLossGrad';

/**
 * Attributes of {@link LOSS_KERNEL} and {@link LOSS_GRAD_KERNEL}.
 *
 * @example
 * ```ts
 * const attrs: LossKernelAttrs = { kind: 'l1', target: 0, scale: 100 };
 * ```
 */
export type LossKernelAttrs = {
  kind: 'bce' | 'mse' | 'l1';
  target: number;
  scale: number;
};

/**
 * An activation's backward from its output `y`, as one elementwise kernel, over a range of
 * channels (the last axis) of `dy` and `y`: `dx = dy * f'(y)` for channels `[begin, begin + size)`,
 * with `f'` = 1 where `y > 0`, else `slope` (`kind` `leaky`; `slope` 0 is ReLU: `y > 0` exactly
 * where the input was) or `1 - y * y` (`tanh`). Inputs `{ dy, y }` (float32, one shape, rank 4);
 * output shaped like `dy` with `size` channels. The channel range makes it the backward of
 * {@link CONCAT_ACT_KERNEL} too, one call per concatenated input (the split and the activation's
 * mask in one program each, instead of Step, Multiply and a Slice apiece).
 */
export const ACT_GRAD_KERNEL = 'Pix2PixActGrad';

/**
 * Channel concatenation of two NHWC tensors `[a, b]` followed by a LeakyReLU of `slope` (0: ReLU),
 * as one kernel: the U-Net's skip connection and the ReLU that opens the parent's up path.
 * Inputs `{ a, b }` (float32, rank 4, equal N, H, W); output `[N, H, W, Ca + Cb]`.
 */
export const CONCAT_ACT_KERNEL = 'Pix2PixConcatAct';

/**
 * Attributes of {@link ACT_GRAD_KERNEL} (all) and {@link CONCAT_ACT_KERNEL} (`slope`).
 *
 * @example
 * ```ts
 * const attrs: ActKernelAttrs = { kind: 'leaky', slope: 0, begin: 0, size: 8 };
 * ```
 */
export type ActKernelAttrs = {
  kind?: 'leaky' | 'tanh';
  slope: number;
  begin?: number;
  size?: number;
};

/** The activation kernels, all of which a backend registers for the model to use them. */
export const ACTIVATION_KERNELS = [ACT_GRAD_KERNEL, CONCAT_ACT_KERNEL] as const;

/**
 * Dropout from uniform draws, as one elementwise kernel: `x * (u > threshold ? scale : 0)`, the
 * product `x * mask` with the mask `step(u - threshold) * scale` that the op chain
 * (Sub, Step, Multiply) builds first; the backward is the same kernel on `dy`. Inputs `{ x, u }`
 * (float32, one shape); output like `x`.
 */
export const DROPOUT_KERNEL = 'Pix2PixDropout';

/**
 * Attributes of {@link DROPOUT_KERNEL}.
 *
 * @example
 * ```ts
 * const attrs: DropoutKernelAttrs = { threshold: 0.5, scale: 2 };
 * ```
 */
export type DropoutKernelAttrs = { threshold: number; scale: number };

/**
 * The up half of an eval-mode U-Net level as one kernel: a PyTorch `ConvTranspose2d(k=4, s=2, p=1)`
 * of `x [n, h, w, inC]` with `filter [4, 4, outC, inC]` (tfjs's conv2dTranspose layout), plus
 * `bias [outC]` when given, then, when `skip [n, 2h, 2w, skipC]` is given, the channel
 * concatenation `[skip, that]`, and last `activation` over the whole result
 * (`relu(cat(a, b)) = cat(relu(a), relu(b))`: in the U-Net every level's concatenation is read only
 * through the parent's ReLU, so the ReLU belongs here). Output `[n, 2h, 2w, skipC + outC]`.
 * Inputs `{ x, filter }`, optionally `bias` and `skip`. With BatchNorm folded into `filter` and
 * `bias`, a GPU backend runs one program per level instead of five (transposed conv, BatchNorm,
 * ReLU of each half, concatenation).
 */
export const UP_CONV_KERNEL = 'Pix2PixUpConv';

/**
 * Attributes of {@link UP_CONV_KERNEL}.
 *
 * @example
 * ```ts
 * const attrs: UpConvKernelAttrs = { activation: 'relu' };
 * ```
 */
export type UpConvKernelAttrs = {
  activation: 'linear' | 'relu' | 'tanh';
};
