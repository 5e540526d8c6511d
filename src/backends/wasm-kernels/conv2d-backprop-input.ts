/**
 * A fast `Conv2DBackpropInput` for the wasm backend (conv2dTranspose forward, and the input
 * gradient of every conv2d). The stock wasm kernel is a scalar C++ loop (~1.2 GMAC/s); here the
 * shapes pix2pix uses are rewritten as ordinary stride-1 convolutions that run on the wasm
 * backend's XNNPACK Conv2D. Other shapes go to the stock kernel.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import { type ExplicitPad4, gatherChunks, withWasmScope } from './compose.js';
import { conv2dGeometry } from './conv2d-backprop-filter.js';

type Inputs = { dy: tf.TensorInfo; filter: tf.TensorInfo };
type Args = { inputs: Inputs; backend: BackendWasm; attrs: tf.Conv2DBackpropInputAttrs };

/** Which rewrite applies to a Conv2DBackpropInput call (see {@link planConv2dBackpropInput}). */
export type BackpropInputPlan = 'phase-s2k4p1' | 'flipped-s1' | 'stock';

/**
 * Picks the rewrite for a geometry:
 * - `'phase-s2k4p1'`: stride 2, 4x4 kernel, pad 1 on every side, dx exactly twice dy's size.
 * - `'flipped-s1'`: stride 1 with every pad in [0, k-1].
 * - `'stock'`: anything else (the stock tfjs-backend-wasm kernel).
 *
 * @example
 * ```ts
 * planConv2dBackpropInput(conv2dGeometry([1, 8, 8, 3], [4, 4, 3, 16], 2, 1, 'NHWC', undefined, 'x')); // 'phase-s2k4p1'
 * ```
 */
export function planConv2dBackpropInput(info: tf.backend_util.Conv2DInfo): BackpropInputPlan {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo: p } = info;
  if (sh === 2 && sw === 2 && kh === 4 && kw === 4 && p.top === 1 && p.bottom === 1 && p.left === 1 && p.right === 1
    && info.inHeight === 2 * info.outHeight && info.inWidth === 2 * info.outWidth) {
    return 'phase-s2k4p1';
  }
  const inRange = (v: number, k: number): boolean => v >= 0 && v <= k - 1;
  if (sh === 1 && sw === 1 && inRange(p.top, kh) && inRange(p.bottom, kh) && inRange(p.left, kw) && inRange(p.right, kw)
    && info.inHeight === info.outHeight + kh - 1 - p.top - p.bottom
    && info.inWidth === info.outWidth + kw - 1 - p.left - p.right) {
    return 'flipped-s1';
  }
  return 'stock';
}

function conv(s: { run: (n: string, i: tf.NamedTensorInfoMap, a: tf.NamedAttrMap) => tf.TensorInfo }, x: tf.TensorInfo, filter: tf.TensorInfo, pad: ExplicitPad4): tf.TensorInfo {
  return s.run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined as unknown as string });
}

/**
 * Makes the fast `Conv2DBackpropInput` kernel function. `stock` is the kernel tfjs-backend-wasm
 * registered (fetched before ours replaces it); shapes outside the rewrites, and calls where dy
 * has fewer than `minPixels` (default 64) batch*height*width pixels, are passed to it.
 *
 * Rewrites (dx[i] = sum over o, k with o*s + k - pad = i of dy[o] * W[k]):
 * - stride 2, k 4, pad 1: output row 2m gets dy[m-1]*W[3] + dy[m]*W[1], row 2m+1 gets
 *   dy[m]*W[2] + dy[m+1]*W[0] (likewise for columns). So each output phase (oy%2, ox%2) is a
 *   stride-1 2x2 convolution of dy with a sub-filter of the flipped kernel, padded (1-r) before
 *   and r after; the four phases are concatenated on channels and interleaved by DepthToSpace
 *   (block 2: channel block (dy*2+dx) goes to pixel offset (dy, dx), as TF defines it). This is
 *   the exact sub-pixel decomposition (Shi et al. 2016, "Is the deconvolution layer the same as a
 *   convolutional layer?", arXiv:1609.07009): no zero-stuffed multiplies.
 * - stride 1: a transposed conv is the conv with the spatially flipped kernel, in/out channels
 *   swapped, and pads (k-1-pad) (Dumoulin & Visin, "A guide to convolution arithmetic", sec. 4.1).
 *
 * @example
 * ```ts
 * const stock = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
 * tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
 * tf.registerKernel({ ...stock, kernelFunc: makeConv2dBackpropInputWasm(stock) });
 * ```
 */
export function makeConv2dBackpropInputWasm(stock: tf.KernelConfig, { minPixels = 64 }: { minPixels?: number } = {}): tf.KernelFunc {
  const fast = (args: Args): tf.TensorInfo | tf.TensorInfo[] => {
    const { inputs: { dy, filter }, backend, attrs } = args;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    const info = conv2dGeometry(inputShape, filter.shape, strides, pad, dataFormat, dimRoundingMode, 'Conv2DBackpropInput');
    const plan = planConv2dBackpropInput(info);
    const size = info.batchSize * info.outHeight * info.outWidth * info.inChannels * info.outChannels;
    // Below ~64 dy pixels the weights dominate: preparing them for XNNPACK (a transpose here,
    // then tfjs's own OHWI repack in its Conv2D) costs more than the stock loop's whole run
    // (measured on UNet-256: stock wins at dy 1x1..4x4, ours is 1.6x at 8x8, 5-7x at 16..64).
    if (plan === 'stock' || size === 0 || info.batchSize * info.outHeight * info.outWidth < minPixels) return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    const { filterHeight: kh, filterWidth: kw, padInfo: p } = info;

    return withWasmScope(backend, (s) => {
      const { inChannels: ci, outChannels: co } = info;
      // [kh, kw, in, out] -> [kh, kw, out, in]; then taps are contiguous [out, in] chunks.
      const wT = s.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] });
      const chunk = co * ci;
      if (plan === 'flipped-s1') {
        const flipped = s.own(gatherChunks(backend, wT, chunk, Array.from({ length: kh * kw }, (_, j) => kh * kw - 1 - j), [kh, kw, co, ci]));
        return conv(s, dy, flipped, [[0, 0], [kh - 1 - p.top, kh - 1 - p.bottom], [kw - 1 - p.left, kw - 1 - p.right], [0, 0]]);
      }
      // Phase r's tap t reads kernel row TAP[r][t]: row 2m takes W[3] (from dy[m-1]) then W[1],
      // row 2m+1 takes W[2] then W[0] (from dy[m+1]).
      const TAP = [[3, 1], [2, 0]];
      const phases: tf.TensorInfo[] = [];
      for (const ry of [0, 1]) {
        for (const rx of [0, 1]) {
          const order = [0, 1].flatMap((t) => [0, 1].map((u) => TAP[ry][t] * 4 + TAP[rx][u]));
          const sub = s.own(gatherChunks(backend, wT, chunk, order, [2, 2, co, ci]));
          phases.push(conv(s, dy, sub, [[0, 0], [1 - ry, ry], [1 - rx, rx], [0, 0]]));
          s.free(sub);
        }
      }
      const packed = s.run('Concat', phases, { axis: 3 });
      return s.run('DepthToSpace', { x: packed }, { blockSize: 2, dataFormat: 'NHWC' });
    });
  };
  return fast as unknown as tf.KernelFunc;
}
