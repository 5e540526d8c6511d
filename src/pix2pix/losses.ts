/** GAN and reconstruction losses (means over all elements, as PyTorch's defaults). */
import { tf } from '../core/tf.js';
import type { Tensor, Scalar } from '@tensorflow/tfjs-core';
import type { GanMode } from './config.js';

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
  const pos = tf.relu(x);
  const lin = target === 1 ? tf.sub(pos, x) : pos;
  return tf.mean(tf.add(lin, tf.log1p(tf.exp(tf.neg(tf.abs(x)))))) as Scalar;
}

/** The GAN loss of predictions against real (1) or fake (0). */
export function ganLoss(pred: Tensor, real: boolean, mode: GanMode): Scalar {
  if (mode === 'lsgan') return tf.mean(tf.square(tf.sub(pred, real ? 1 : 0))) as Scalar;
  return bceWithLogits(pred, real ? 1 : 0);
}

/** Mean absolute error. */
export function l1(a: Tensor, b: Tensor): Scalar {
  return tf.mean(tf.abs(tf.sub(a, b))) as Scalar;
}
