/**
 * `Conv2DBackpropFilter` on the wasm backend through pix2pix-ts's own SIMD module (`kernels.c`
 * `conv2d_backprop_filter`): direct from the NHWC x and dy in tfjs's memory (no im2col, no
 * transposes, no padded copies), register tiles of 4 input x 8 output channels per tap, and a
 * blocked sum over the pixels (a partial sum per block of about {@link DW_BLOCK_PIXELS} pixels,
 * then the blocks summed), which rounds no worse than the one long sum over all pixels of the
 * XNNPACK matmul path it replaces.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { partCount, runParts } from './pool.js';
import { heapOffset, wasmSimd } from './index.js';

/** The most pixels per block of the blocked sum over pixels (whole output rows, at least one). */
export const DW_BLOCK_PIXELS = 256;

/**
 * Pixels per block for `co` output channels: the block's dy rows (`block * co` floats) stay
 * within about 64 KiB, so they are re-read from cache for every tap and input-channel tile.
 *
 * @example
 * ```ts
 * dwBlockPixels(64);  // 256
 * dwBlockPixels(512); // 32
 * ```
 */
export function dwBlockPixels(co: number): number {
  return Math.max(32, Math.min(DW_BLOCK_PIXELS, Math.floor(16384 / Math.max(1, co))));
}

/**
 * dW into a new `[kh, kw, ci, co]` tensor when the module is loaded on `backend`, else undefined.
 * `info` is the conv geometry (tfjs `computeConv2DInfo`), already checked against `x` and `dy`.
 *
 * @example
 * ```ts
 * const dw = conv2dBackpropFilterSimd(backend, x, dy, info) ?? xnnpackPath();
 * ```
 */
export function conv2dBackpropFilterSimd(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | undefined {
  const simd = wasmSimd(backend);
  if (!simd) return undefined;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const rows = n * oh;
  const size = kh * kw * ci * co;
  // Split the rows of pixels between the calling thread and the helpers when each gets enough.
  const macs = rows * ow * kh * kw * ci * co;
  const parts = partCount(simd.pool, rows, macs);
  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  const partials = Array.from({ length: parts - 1 }, () =>
    backend.makeOutput([kh, kw, ci, co], 'float32'),
  );
  const args = (dw: tf.TensorInfo, row0: number, row1: number) => [
    heapOffset(backend, x.dataId),
    heapOffset(backend, dy.dataId),
    heapOffset(backend, dw.dataId),
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
    row0,
    row1,
    dwBlockPixels(co),
  ];
  const bound = (i: number) => Math.floor((rows * i) / parts);
  try {
    // Part p writes into partials[p - 1] (part 0 into out); runParts waits for every helper
    // before the partials are freed.
    runParts(
      simd.pool,
      parts,
      'conv2d_backprop_filter',
      (part) => args(part ? partials[part - 1]! : out, bound(part), bound(part + 1)),
      (a) => (simd.exports.conv2d_backprop_filter as (...a: number[]) => void)(...a),
    );
    for (const p of partials)
      simd.exports.add_into(heapOffset(backend, out.dataId), heapOffset(backend, p.dataId), size);
  } finally {
    for (const p of partials) backend.disposeData(p.dataId);
  }
  return out;
}
