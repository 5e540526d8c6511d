/**
 * pix2pix's Adam kernel (`ADAM_KERNEL` of core/fused-kernels.ts) for the wasm backend: the cpu kernel's loop (cpu-kernels/adam.ts, bitwise
 * the tfjs op chain) run on the wasm heap, in place of 13 kernels and their temporaries per
 * parameter.
 */
import type { tf } from '../../core/tf.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';
import { adamUpdate, checkAdamInputs, type AdamInputs } from '../cpu-kernels/adam.js';

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
  const ins = inputs as unknown as AdamInputs;
  checkAdamInputs(ins);
  const be = backend as unknown as WasmLike;
  const shape = ins.param.shape;
  const outs = [
    be.makeOutput(shape, 'float32'),
    be.makeOutput(shape, 'float32'),
    be.makeOutput(shape, 'float32'),
  ];
  // makeOutput may grow the wasm memory, which detaches earlier heap views: take views after it.
  const heap = (t: tf.TensorInfo) => be.typedArrayFromHeap(t) as Float32Array;
  adamUpdate(
    heap(ins.param),
    heap(ins.grad),
    heap(ins.m),
    heap(ins.v),
    heap(outs[0]!),
    heap(outs[1]!),
    heap(outs[2]!),
    attrs as unknown as AdamKernelAttrs,
  );
  return outs;
};
