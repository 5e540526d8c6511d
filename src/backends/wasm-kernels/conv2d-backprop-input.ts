/**
 * A fast `Conv2DBackpropInput` for the wasm backend (conv2dTranspose forward, and the input
 * gradient of every conv2d). The stock wasm kernel is a scalar C++ loop (~1.2 GMAC/s); here the
 * shapes pix2pix uses are rewritten as ordinary stride-1 convolutions that run on the wasm
 * backend's XNNPACK Conv2D. Other shapes go to the stock kernel.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import { type ExplicitPad4, withWasmScope } from './compose.js';
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
 * registered (fetched before ours replaces it); shapes outside the rewrites are passed to it.
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
export function makeConv2dBackpropInputWasm(stock: tf.KernelConfig): tf.KernelFunc {
  const fast = (args: Args): tf.TensorInfo | tf.TensorInfo[] => {
    const { inputs: { dy, filter }, backend, attrs } = args;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    const info = conv2dGeometry(inputShape, filter.shape, strides, pad, dataFormat, dimRoundingMode, 'Conv2DBackpropInput');
    const plan = planConv2dBackpropInput(info);
    const size = info.batchSize * info.outHeight * info.outWidth * info.inChannels * info.outChannels;
    if (plan === 'stock' || size === 0) return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    const { filterHeight: kh, filterWidth: kw, padInfo: p } = info;

    return withWasmScope(backend, (s) => {
      // [kh, kw, in, out] -> flipped in space, channels swapped: [kh, kw, out, in].
      const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] });
      const wT = s.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
      if (plan === 'flipped-s1') {
        return conv(s, dy, wT, [[0, 0], [kh - 1 - p.top, kh - 1 - p.bottom], [kw - 1 - p.left, kw - 1 - p.right], [0, 0]]);
      }
      const phases: tf.TensorInfo[] = [];
      for (const ry of [0, 1]) {
        for (const rx of [0, 1]) {
          // flipped[k] = W[3-k]: rows {3,1} are flipped {0,2}, rows {2,0} are flipped {1,3}.
          const sub = s.run('StridedSlice', { x: wT }, {
            begin: [ry, rx, 0, 0], end: [4, 4, info.outChannels, info.inChannels], strides: [2, 2, 1, 1],
            beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
          });
          phases.push(conv(s, dy, sub, [[0, 0], [1 - ry, ry], [1 - rx, rx], [0, 0]]));
        }
      }
      const packed = s.run('Concat', phases, { axis: 3 });
      return s.run('DepthToSpace', { x: packed }, { blockSize: 2, dataFormat: 'NHWC' });
    });
  };
  return fast as unknown as tf.KernelFunc;
}
