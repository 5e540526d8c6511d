/**
 * Eval-mode BatchNorm folded into the weights of the convolution before it, as inference engines
 * do (onnxruntime's `ConvBNFusion`): with `scale = gamma / sqrt(running_var + eps)`,
 * `BN(conv(x, W) + b) = conv(x, W * scale) + (b - running_mean) * scale + beta`, per output
 * channel. Computed once per weight version and cached on the {@link ParamStore} (a training step or
 * a weight load changes the variables, which invalidates it). Batch-statistics BatchNorm (training,
 * `paper` inference) is never folded.
 */
import { tf } from '../core/tf.js';
import type { Tensor1D, Tensor4D, Variable } from '../core/tf.js';
import type { NormKind } from './config.js';
import type { ParamStore } from './params.js';
import { NORM_EPS } from './layers.js';

/** A convolution's weights and bias with its eval-mode norm applied. */
export interface FoldedConv {
  filter: Tensor4D;
  bias?: Tensor1D;
}

/**
 * The weights of the conv (`kind` `'conv'`, tfjs filter `[kh, kw, in, out]`) or transposed conv
 * (`'convT'`, `[kh, kw, out, in]`) at `prefix`, with the eval-mode BatchNorm at `normPrefix` folded
 * in (none when `normPrefix` is undefined or `norm` is not `'batch'`: the weights as they are).
 * `bias` says whether the layer's own bias is applied. Do not dispose the result.
 *
 * @example
 * ```ts
 * const { filter, bias } = foldedConv(store, 'model.model.1.model.1', 'conv', false, 'batch', 'model.model.1.model.2');
 * ```
 */
export function foldedConv(
  store: ParamStore,
  prefix: string,
  kind: 'conv' | 'convT',
  bias: boolean,
  norm: NormKind,
  normPrefix?: string,
): FoldedConv {
  const w = store.get(`${prefix}.weight`);
  const b = bias ? store.get(`${prefix}.bias`) : undefined;
  if (normPrefix === undefined || norm !== 'batch')
    return { filter: w as unknown as Tensor4D, bias: b as unknown as Tensor1D | undefined };
  const gamma = store.get(`${normPrefix}.weight`);
  const beta = store.get(`${normPrefix}.bias`);
  const mean = store.get(`${normPrefix}.running_mean`);
  const variance = store.get(`${normPrefix}.running_var`);
  const sources: Variable[] = [w, gamma, beta, mean, variance, ...(b ? [b] : [])];
  const [filter, folded] = store.derived(`fold:${prefix}`, sources, () => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, NORM_EPS)));
    const outC = scale.shape[0];
    // conv: out channels are the last axis; convT: the third ([kh, kw, out, in]).
    const f = tf.mul(w, kind === 'conv' ? scale : tf.reshape(scale, [outC, 1]));
    const shift = b ? tf.sub(b, mean) : tf.neg(mean);
    return [f, tf.add(tf.mul(shift, scale), beta)];
  });
  return { filter: filter as Tensor4D, bias: folded as Tensor1D };
}
