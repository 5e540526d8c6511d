/**
 * `Conv2D` on the wasm backend through pix2pix-ts's own SIMD module (`kernels.c`
 * `conv2d_direct`): the NHWC input read in place (an implicit im2col) and the `[kh, kw, ci, co]`
 * weights read as they are, in register tiles of 4 pixels x 8 output channels. No weight
 * re-layout and no XNNPACK packing, which is what a convolution pays most for when its weights
 * are new every call (training) and its image is small (the inner UNet layers: 4-16M weights on
 * 1x1 to 16x16 outputs). In Node at 2+ threads the output channels are split between the calling
 * thread and the module's helper threads.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { heapOffset, wasmSimd } from './index.js';
import { partCount, runParts } from './pool.js';

/** Pixel tiles of the direct kernel: above one, each column block of the weights is packed first. */
const TILE_PIXELS = 4;

/**
 * Estimated ns of {@link conv2dDirectSimd} for a geometry, from CPU times measured with new weights
 * every call (`node scripts/bench-kernels.mjs --bench train-convs`, Node 20, 2-core AMD EPYC):
 * ~24 multiply-adds per ns when each tap has many input channels (XNNPACK: ~22), less with few
 * (each tap of each pixel tile costs about as much as 8 channels), plus ~1 ns per weight for
 * packing the weights' column blocks when there is more than one pixel tile.
 *
 * @example
 * ```ts
 * conv2dDirectCost(info); // compare with the XNNPACK forms' estimates
 * ```
 */
export function conv2dDirectCost(info: tf.backend_util.Conv2DInfo): number {
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co } = info;
  const pixels = n * oh * ow;
  const weights = info.filterHeight * info.filterWidth * ci * co;
  const rate = (24 * ci) / (ci + 8);
  return (pixels * weights) / rate + (pixels > TILE_PIXELS ? weights : 0);
}

/**
 * `y = conv2d(x, filter)` (NHWC, `info` from `computeConv2DInfo`, dilation 1) into a new tensor
 * when the module is loaded on `backend`, else undefined.
 *
 * @example
 * ```ts
 * const y = conv2dDirectSimd(backend, x, filter, info) ?? stockConv2d(args);
 * ```
 */
export function conv2dDirectSimd(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | undefined {
  const simd = wasmSimd(backend);
  if (!simd) return undefined;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const pixels = n * oh * ow;
  const k = kh * kw * ci;
  // Split the output channels (in blocks of 8) between the calling thread and the helpers.
  const blocks = Math.ceil(co / 8);
  const macs = pixels * k * co;
  const parts = partCount(simd.pool, blocks, macs);
  const pack = pixels > TILE_PIXELS;
  const out = backend.makeOutput([n, oh, ow, co], 'float32');
  const zeros = backend.makeOutput([ci], 'float32');
  const packs = pack
    ? Array.from({ length: parts }, () => backend.makeOutput([k, 8], 'float32'))
    : [];
  (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
  const args = (part: number, o0: number, o1: number) => [
    heapOffset(backend, x.dataId),
    heapOffset(backend, filter.dataId),
    heapOffset(backend, out.dataId),
    heapOffset(backend, zeros.dataId),
    pack ? heapOffset(backend, packs[part]!.dataId) : 0,
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
    0,
    pixels,
    o0,
    o1,
  ];
  const bound = (i: number) => Math.min(co, 8 * Math.floor((blocks * i) / parts));
  let ok = false;
  try {
    runParts(
      simd.pool,
      parts,
      'conv2d_direct',
      (part) => args(part, bound(part), bound(part + 1)),
      (a) => simd.exports.conv2d_direct(...a),
    );
    ok = true;
  } finally {
    if (!ok) backend.disposeData(out.dataId);
    backend.disposeData(zeros.dataId);
    for (const p of packs) backend.disposeData(p.dataId);
  }
  return out;
}
