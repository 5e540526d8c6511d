/**
 * `Conv2DBackpropInput` (a transposed convolution: conv2dTranspose forward and every conv2d's
 * input gradient) on the wasm backend through pix2pix-ts's own SIMD module (`kernels.c`
 * `conv_transpose_direct`): dot products of dy's pixels with the `[kh, kw, ci, co]` weights' rows
 * (both contiguous over co), added straight into dx where each tap lands: no columns matrix, no
 * transposes, no weight re-layout or packing. Chosen where those dominate the XNNPACK forms:
 * weights that are new every call (training) on small images. In Node at 2+ threads the input
 * channels are split between the calling thread and the module's helper threads.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { heapOffset, wasmSimd } from './index.js';
import { partCount, runParts } from './pool.js';

/**
 * Estimated ns of {@link convTransposeDirectSimd}, from CPU times measured with new weights every
 * call (`node scripts/bench-kernels.mjs --bench train-convs`, Node 20, 2-core AMD EPYC): ~21
 * multiply-adds per ns when the dot products are long (many dy channels; XNNPACK: ~20), less
 * with short ones (each pixel pair and tap costs about as much as 16 channels); Infinity where it
 * does not apply (channel counts that are not multiples of 4).
 *
 * @example
 * ```ts
 * convTransposeDirectCost(info) < xnnpackBackpropInputCost(info, false).ns;
 * ```
 */
export function convTransposeDirectCost(info: tf.backend_util.Conv2DInfo): number {
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co } = info;
  if (ci % 4 !== 0 || co % 4 !== 0) return Infinity;
  const rate = (21 * co) / (co + 16);
  return (n * oh * ow * info.filterHeight * info.filterWidth * ci * co) / rate;
}

/**
 * dx of `dy` and `filter` (`info`: the forward conv's geometry, `computeConv2DInfo` of dx's shape)
 * into a new tensor when the module is loaded on `backend` and the channel counts are multiples
 * of 4, else undefined.
 *
 * @example
 * ```ts
 * const dx = convTransposeDirectSimd(backend, dy, filter, info) ?? xnnpackForm();
 * ```
 */
export function convTransposeDirectSimd(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | undefined {
  const simd = wasmSimd(backend);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  if (!simd || ci % 4 !== 0 || co % 4 !== 0) return undefined;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const blocks = ci / 4;
  const macs = n * oh * ow * kh * kw * ci * co;
  const parts = partCount(simd.pool, blocks, macs);
  const out = backend.makeOutput([n, h, w, ci], 'float32');
  const args = (c0: number, c1: number) => [
    heapOffset(backend, dy.dataId),
    heapOffset(backend, filter.dataId),
    heapOffset(backend, out.dataId),
    n,
    h,
    w,
    ci,
    oh,
    ow,
    co,
    kh,
    kw,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    c0,
    c1,
  ];
  const bound = (i: number) => 4 * Math.floor((blocks * i) / parts);
  let ok = false;
  try {
    // A helper still running writes into dx: runParts waits for it before the error goes on.
    runParts(
      simd.pool,
      parts,
      'conv_transpose_direct',
      (part) => args(bound(part), bound(part + 1)),
      (a) => simd.exports.conv_transpose_direct(...a),
    );
    ok = true;
  } finally {
    if (!ok) backend.disposeData(out.dataId);
  }
  return out;
}
