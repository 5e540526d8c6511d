/**
 * Extra and replacement kernels for tfjs-backend-wasm 4.22, composed from its own WASM kernels:
 * - `Conv2DBackpropFilter` (missing upstream, so conv nets could not train on wasm);
 * - `Conv2DBackpropInput` (the stock one is a scalar loop; ours runs every geometry on XNNPACK
 *   BatchMatMul + col2im, or on XNNPACK Conv2D with cached re-laid-out weights);
 * - `Conv2D` (im2col + XNNPACK matmul where the stock kernel's weight re-layout would dominate:
 *   small images with weights that change every step);
 * - pix2pix's Adam kernel on the wasm heap (`adam.ts`);
 * - pix2pix's fused BatchNorm and loss kernels on the heap, with float64 sums
 *   (`batch-norm-loss.ts`);
 * - `Sum` over leading axes (bias gradients) with float64 sums (`sum.ts`).
 * They are registered from the kernel list, src/backends/kernels.ts.
 */
import type { tf } from '../../core/tf.js';
import { stockKernel } from '../kernels.js';

export { callWasmKernel, withWasmScope } from './compose.js';
export type { WasmScope, KernelInputs, ExplicitPad4 } from './compose.js';
export { conv2dBackpropFilterWasm, conv2dGeometry } from './conv2d-backprop-filter.js';
export {
  makeConv2dBackpropInputWasm,
  planConv2dBackpropInput,
  chooseConv2dBackpropInput,
  xnnpackBackpropInputCost,
  col2im,
  CACHE_AFTER_USES,
} from './conv2d-backprop-input.js';
export type { BackpropInputPlan, BackpropInputOptions } from './conv2d-backprop-input.js';
export { makeConv2dWasm, chooseConv2d, im2col } from './conv2d.js';
export type { Conv2DPlan } from './conv2d.js';
export {
  derivedWeights,
  hasDerivedWeights,
  noteWeightUse,
  derivedWeightStats,
  clearDerivedWeights,
} from './weight-cache.js';
export { transposeInto, transposeOnHeap } from './compose.js';
export { adamWasm } from './adam.js';
export { makeSumWasm } from './sum.js';
export {
  batchStatsWasm,
  batchNormApplyWasm,
  batchNormGradWasm,
  batchNormRunningWasm,
  lossWasm,
  lossGradWasm,
} from './batch-norm-loss.js';

/**
 * The stock tfjs-backend-wasm `Conv2DBackpropInput` config, as it was before the kernel list
 * (src/backends/kernels.ts) replaced it (undefined before the wasm backend's kernels were
 * registered). For benchmarks and tests that compare the two.
 *
 * @example
 * ```ts
 * await initBackend('wasm');
 * const stock = stockConv2dBackpropInput()!;
 * ```
 */
export function stockConv2dBackpropInput(): tf.KernelConfig | undefined {
  return stockKernel('wasm', 'Conv2DBackpropInput');
}

/**
 * The stock tfjs-backend-wasm `Conv2D` config, as it was before the kernel list replaced it
 * (undefined before the wasm backend's kernels were registered).
 *
 * @example
 * ```ts
 * await initBackend('wasm');
 * const stock = stockConv2d()!;
 * ```
 */
export function stockConv2d(): tf.KernelConfig | undefined {
  return stockKernel('wasm', 'Conv2D');
}
