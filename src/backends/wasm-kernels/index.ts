/**
 * Extra and replacement kernels for tfjs-backend-wasm 4.22, composed from its own WASM kernels:
 * - `Conv2DBackpropFilter` (missing upstream, so conv nets could not train on wasm);
 * - `Conv2DBackpropInput` (the stock one is a scalar loop; ours runs every geometry on XNNPACK
 *   BatchMatMul + col2im, or on XNNPACK Conv2D with cached re-laid-out weights);
 * - `Conv2D` (im2col + XNNPACK matmul where the stock kernel's weight re-layout would dominate:
 *   small images with weights that change every step);
 * - pix2pix's fused BatchNorm and loss kernels (src/core/fused-kernels.ts), with float64 sums.
 */
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { makeConv2dBackpropInputWasm } from './conv2d-backprop-input.js';
import { makeConv2dWasm } from './conv2d.js';
import { wasmFusedKernels } from './batch-norm-loss.js';

export { callWasmKernel, withWasmScope } from './compose.js';
export type { WasmScope, KernelInputs, ExplicitPad4 } from './compose.js';
export { conv2dBackpropFilterWasm, conv2dGeometry } from './conv2d-backprop-filter.js';
export {
  makeConv2dBackpropInputWasm,
  planConv2dBackpropInput,
  chooseConv2dBackpropInput,
  col2im,
  CACHE_AFTER_USES,
} from './conv2d-backprop-input.js';
export type { BackpropInputPlan, BackpropInputOptions } from './conv2d-backprop-input.js';
export { makeConv2dWasm, chooseConv2d, im2col } from './conv2d.js';
export { wasmFusedKernels } from './batch-norm-loss.js';
export type { Conv2DPlan } from './conv2d.js';
export {
  derivedWeights,
  hasDerivedWeights,
  noteWeightUse,
  derivedWeightStats,
  clearDerivedWeights,
} from './weight-cache.js';
export { transposeInto, transposeOnHeap } from './compose.js';

const filterKernel = conv2dBackpropFilterWasm as unknown as tf.KernelFunc;
const fusedKernels = wasmFusedKernels();
let inputKernel: tf.KernelFunc | undefined;
let stockBackpropInput: tf.KernelConfig | undefined;
let convKernel: tf.KernelFunc | undefined;
let stockConv: tf.KernelConfig | undefined;

/**
 * The stock tfjs-backend-wasm `Conv2DBackpropInput` config, as it was before
 * {@link registerWasmKernels} replaced it (undefined before the first call). For benchmarks and
 * tests that compare the two.
 *
 * @example
 * ```ts
 * registerWasmKernels();
 * const stock = stockConv2dBackpropInput()!;
 * ```
 */
export function stockConv2dBackpropInput(): tf.KernelConfig | undefined {
  return stockBackpropInput;
}

function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel(config);
}

/**
 * Registers this folder's kernels for the `'wasm'` backend. Idempotent; call it before or after
 * `tf.setBackend('wasm')` (kernels here need no setup of their own, and the replaced stock
 * kernel's `setupFunc` is carried over so its fallback works when the backend starts later).
 *
 * @example
 * ```ts
 * registerWasmKernels();
 * await tf.setBackend('wasm');
 * const g = tf.grad((w: tf.Tensor4D) => tf.conv2d(x, w, 2, 1).sum())(w); // now works on wasm
 * ```
 */
export function registerWasmKernels(): void {
  for (const [kernelName, kernelFunc] of fusedKernels) {
    if (tf.getKernel(kernelName, 'wasm')?.kernelFunc !== kernelFunc)
      replace({ kernelName, backendName: 'wasm', kernelFunc });
  }
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc !== filterKernel) {
    replace({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: filterKernel });
  }
  const current = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!current) {
    throw new Error(
      'tfjs-backend-wasm registered no Conv2DBackpropInput kernel to fall back on; is @tensorflow/tfjs-backend-wasm 4.x installed?',
    );
  }
  if (!(inputKernel && current.kernelFunc === inputKernel)) {
    stockBackpropInput = current;
    inputKernel = makeConv2dBackpropInputWasm(current);
    replace({
      kernelName: 'Conv2DBackpropInput',
      backendName: 'wasm',
      kernelFunc: inputKernel,
      setupFunc: current.setupFunc,
      disposeFunc: current.disposeFunc,
    });
  }
  const conv = tf.getKernel('Conv2D', 'wasm');
  if (!conv)
    throw new Error(
      'tfjs-backend-wasm registered no Conv2D kernel to fall back on; is @tensorflow/tfjs-backend-wasm 4.x installed?',
    );
  if (!(convKernel && conv.kernelFunc === convKernel)) {
    stockConv = conv;
    convKernel = makeConv2dWasm(conv);
    replace({
      kernelName: 'Conv2D',
      backendName: 'wasm',
      kernelFunc: convKernel,
      setupFunc: conv.setupFunc,
      disposeFunc: conv.disposeFunc,
    });
  }
}

/**
 * The stock tfjs-backend-wasm `Conv2D` config, as it was before {@link registerWasmKernels}
 * replaced it (undefined before the first call).
 *
 * @example
 * ```ts
 * registerWasmKernels();
 * const stock = stockConv2d()!;
 * ```
 */
export function stockConv2d(): tf.KernelConfig | undefined {
  return stockConv;
}
