/**
 * `Conv2D` for the wasm backend that avoids the stock kernel's weight re-layout where it dominates.
 * The stock kernel (XNNPACK convolution) transposes the HWIO filter to OHWI in a naive C++ loop
 * and packs it, ~12 ns per weight, once per filter tensor; with weights that change every training
 * step, on small images that is most of the call (measured: [1,8,8,512] * [4,4,512,1024], 134M
 * MACs, 193 ms, 0.7 GMAC/s). Here such calls run as im2col + XNNPACK matmul with the filter, as is,
 * as the packed operand (XNNPACK's matmul packing: ~2.6 ns per weight).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import { withWasmScope } from './compose.js';
import { conv2dGeometry } from './conv2d-backprop-filter.js';
import { noteWeightUse } from './weight-cache.js';
import { CACHE_AFTER_USES } from './conv2d-backprop-input.js';
import { conv2dDirectCost, conv2dDirectSimd } from '../wasm-simd/conv2d.js';
import { wasmSimd } from '../wasm-simd/index.js';

type Args = {
  inputs: { x: tf.TensorInfo; filter: tf.TensorInfo };
  backend: BackendWasm;
  attrs: tf.Conv2DAttrs;
};

/**
 * How a Conv2D call runs: the stock XNNPACK convolution, im2col + XNNPACK matmul, or the own SIMD
 * module's direct convolution (src/backends/wasm-simd/conv2d.ts).
 */
export type Conv2DPlan = 'stock' | 'im2col-matmul' | 'simd-direct';

/**
 * Picks the cheaper way by estimated ns, from per-element costs measured on Node 20 / x64: stock =
 * weight re-layout (12 ns per weight, skipped when `weightsPacked`) + MACs at ~22 GMAC/s;
 * im2col-matmul = im2col (~2 ns per [pixels x kh*kw*inC] element) + packing (2.6 ns per weight,
 * skipped when `weightsPacked`) + MACs at ~12 GMAC/s (XNNPACK's matmul on these shapes);
 * with `simd` (the own module is loaded) and weights not yet packed, the direct kernel's estimate
 * ({@link conv2dDirectCost}) too.
 *
 * @example
 * ```ts
 * chooseConv2d(conv2dGeometry([1, 8, 8, 512], [4, 4, 512, 1024], 2, 1, 'NHWC', undefined, 'x'), false); // 'im2col-matmul'
 * ```
 */
export function chooseConv2d(
  info: tf.backend_util.Conv2DInfo,
  weightsPacked: boolean,
  simd = false,
): Conv2DPlan {
  const {
    batchSize: n,
    outHeight: oh,
    outWidth: ow,
    inChannels: ci,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
  } = info;
  const pixels = n * oh * ow;
  const weights = kh * kw * ci * co;
  const macs = pixels * weights;
  const stock = (weightsPacked ? 0 : 12 * weights) + macs / 22;
  const viaMatmul = 2 * pixels * kh * kw * ci + (weightsPacked ? 0 : 2.6 * weights) + macs / 12;
  const best = Math.min(stock, viaMatmul);
  if (simd && !weightsPacked && conv2dDirectCost(info) < best) return 'simd-direct';
  return viaMatmul < stock ? 'im2col-matmul' : 'stock';
}

/**
 * Writes the im2col matrix of `x[n, H, W, C]` for a conv geometry into `dst`:
 * row `(b, oy, ox)`, column `(ky, kx, c)` (the HWIO filter's row order) holds
 * `x[b, oy*sh + ky - top, ox*sw + kx - left, c]`, or 0 outside the image.
 *
 * @example
 * ```ts
 * im2col(x, cols, info); // cols: Float32Array(n*oh*ow * kh*kw*C)
 * ```
 */
export function im2col(x: Float32Array, dst: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const {
    batchSize: n,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: oh,
    outWidth: ow,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    padInfo,
  } = info;
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky - padInfo.top;
          for (let kx = 0; kx < kw; kx++, d += C) {
            const ix = ox * sw + kx - padInfo.left;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              dst.fill(0, d, d + C);
            } else {
              const s = ((b * H + iy) * W + ix) * C;
              dst.set(x.subarray(s, s + C), d);
            }
          }
        }
      }
    }
  }
}

/**
 * Makes the `Conv2D` kernel function; `stock` is tfjs-backend-wasm's (fetched before ours
 * replaces it). Weights used {@link CACHE_AFTER_USES}+ times (inference loops) are assumed packed by
 * whichever way ran them, so the choice is by MAC speed alone there.
 *
 * @example
 * ```ts
 * const stock = tf.getKernel('Conv2D', 'wasm')!;
 * tf.registerKernel({ ...stock, kernelFunc: makeConv2dWasm(stock) });
 * ```
 */
export function makeConv2dWasm(
  stock: tf.KernelConfig,
  opts: { force?: Conv2DPlan } = {},
): tf.KernelFunc {
  const fast = (args: Args): tf.TensorInfo | tf.TensorInfo[] => {
    const {
      inputs: { x, filter },
      backend,
      attrs,
    } = args;
    const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs;
    const ok =
      (dataFormat === undefined || dataFormat === 'NHWC') &&
      (dilations === undefined ||
        (typeof dilations === 'number' ? dilations === 1 : dilations.every((d) => d === 1)));
    if (!ok || x.shape.length !== 4 || filter.shape.length !== 4)
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    const info = conv2dGeometry(
      x.shape,
      filter.shape,
      strides,
      pad,
      'NHWC',
      dimRoundingMode,
      'Conv2D',
    );
    const {
      batchSize: n,
      outHeight: oh,
      outWidth: ow,
      inChannels: ci,
      outChannels: co,
      filterHeight: kh,
      filterWidth: kw,
    } = info;
    const pixels = n * oh * ow;
    if (pixels * ci * co === 0)
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    const uses = noteWeightUse(backend, filter, 'Conv2D');
    const plan =
      opts.force ?? chooseConv2d(info, uses >= CACHE_AFTER_USES, wasmSimd(backend) !== undefined);
    if (plan === 'stock') return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    if (plan === 'simd-direct') {
      const y = conv2dDirectSimd(backend, x, filter, info);
      if (y) return y;
    }
    return withWasmScope(backend, (s) => {
      const cols = s.own(backend.makeOutput([pixels, kh * kw * ci], 'float32'));
      im2col(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(cols) as Float32Array,
        info,
      );
      // The [kh, kw, inC, outC] filter is the matmul's [K, outC] right operand as is; XNNPACK
      // caches its packing per filter tensor, like the convolution does.
      const b = s.run('Reshape', { x: filter }, { shape: [kh * kw * ci, co] });
      const y = s.run('BatchMatMul', { a: cols, b }, { transposeA: false, transposeB: false });
      return s.run('Reshape', { x: y }, { shape: [n, oh, ow, co] });
    });
  };
  return fast as unknown as tf.KernelFunc;
}
