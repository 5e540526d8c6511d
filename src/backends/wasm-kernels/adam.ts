/**
 * pix2pix's Adam kernel (`ADAM_KERNEL` of core/fused-kernels.ts) for the wasm backend: the cpu
 * kernel's loop (cpu-kernels/adam.ts, bitwise the tfjs op chain) run on the wasm heap over a group
 * of parameters and their packed moments, in place of 13 kernels and their temporaries per
 * parameter.
 */
import type { tf } from '../../core/tf.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';
import { adamGroupInputs, adamUpdate } from '../cpu-kernels/adam.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { adamWasmSimd } from '../wasm-simd/adam.js';

interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): unknown;
}

/**
 * pix2pix's Adam kernel on wasm.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'wasm', kernelFunc: adamWasm });
 * ```
 */
export const adamWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { state, grads, params } = adamGroupInputs(inputs);
  const be = backend as unknown as WasmLike;
  const outs = [state, ...params].map((t) => be.makeOutput(t.shape, 'float32'));
  // pix2pix-ts's own SIMD module on the same memory, when loaded (bitwise the same results).
  const a = attrs as unknown as AdamKernelAttrs;
  const simd = backend as unknown as BackendWasm;
  if (adamWasmSimd(simd, state, grads, params, outs[0]!, outs.slice(1), a)) return outs;
  // makeOutput may grow the wasm memory, which detaches earlier heap views: take views after it.
  const heap = (t: tf.TensorInfo) => be.typedArrayFromHeap(t) as Float32Array;
  adamUpdate(
    heap(state),
    grads.map(heap),
    params.map(heap),
    heap(outs[0]!),
    outs.slice(1).map(heap),
    attrs as unknown as AdamKernelAttrs,
  );
  return outs;
};
