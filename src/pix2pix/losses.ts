/** GAN and reconstruction losses (means over all elements, as PyTorch's defaults). */
import { tf } from '../core/tf.js';
import type { Tensor, Scalar } from '@tensorflow/tfjs-core';
import type { GanMode } from './config.js';
import { tapeOp } from './tape.js';
import { LOSS_GRAD_KERNEL, LOSS_KERNEL, type LossKernelAttrs } from '../core/fused-kernels.js';

/** Whether the active backend registered the fused loss kernels. */
function hasFusedLoss(): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(LOSS_KERNEL, backend) != null && tf.getKernel(LOSS_GRAD_KERNEL, backend) != null
  );
}

/**
 * A loss through the backend's {@link LOSS_KERNEL}: one kernel forward and one backward (a GPU
 * backend pays a fixed cost per kernel; the op chain is ~8 forward and ~10 backward). `y` is a
 * constant (the target image): it gets no gradient.
 */
function fusedLoss(attrs: LossKernelAttrs, x: Tensor, y?: Tensor): Scalar {
  return tapeOp(
    { x },
    () => tf.engine().runKernel(LOSS_KERNEL, y ? { x, y } : { x }, attrs) as Tensor,
    (dy, [xs, ys]) => ({
      x: () =>
        tf
          .engine()
          .runKernel(
            LOSS_GRAD_KERNEL,
            ys ? { dy, x: xs!, y: ys } : { dy, x: xs! },
            attrs,
          ) as Tensor,
    }),
    { tensors: y ? [x, y] : [x] },
  ) as Scalar;
}

/**
 * `BCEWithLogitsLoss(x, target)` with a constant target, in the numerically stable form
 * `max(x, 0) - x * t + log(1 + exp(-|x|))`.
 *
 * @example
 * ```ts
 * bceWithLogits(tf.tensor([0.3, -1]), 1);
 * ```
 */
export function bceWithLogits(x: Tensor, target: 0 | 1): Scalar {
  if (x.rank === 4 && hasFusedLoss()) return fusedLoss({ kind: 'bce', target, scale: 1 }, x);
  const pos = tf.relu(x);
  const lin = target === 1 ? tf.sub(pos, x) : pos;
  return tf.mean(tf.add(lin, tf.log1p(tf.exp(tf.neg(tf.abs(x)))))) as Scalar;
}

/**
 * The GAN loss of predictions against real (1) or fake (0), times `scale` (in the fused loss
 * kernel where the backend has it: the D loss's halves cost no Multiply kernels either way).
 */
export function ganLoss(pred: Tensor, real: boolean, mode: GanMode, scale = 1): Scalar {
  const target = real ? 1 : 0;
  if (pred.rank === 4 && hasFusedLoss())
    return fusedLoss({ kind: mode === 'lsgan' ? 'mse' : 'bce', target, scale }, pred);
  const loss =
    mode === 'lsgan'
      ? (tf.mean(tf.square(tf.sub(pred, target))) as Scalar)
      : bceWithLogits(pred, target);
  return scale === 1 ? loss : tf.mul(loss, scale);
}

/**
 * Mean absolute error times `scale` (pix2pix's `lambda_L1 * L1(fake, real)`); `b` is a constant
 * (no gradient flows to it).
 *
 * @example
 * ```ts
 * l1(fake, realB, 100);
 * ```
 */
export function l1(a: Tensor, b: Tensor, scale = 1): Scalar {
  if (a.rank === 4 && hasFusedLoss()) return fusedLoss({ kind: 'l1', target: 0, scale }, a, b);
  const loss = tf.mean(tf.abs(tf.sub(a, b))) as Scalar;
  return scale === 1 ? loss : tf.mul(loss, scale);
}
