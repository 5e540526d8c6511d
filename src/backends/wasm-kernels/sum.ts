/**
 * `Sum` for the wasm backend where it reduces leading axes of a float32 tensor (the bias
 * gradients of convolutions: `dy` of `[N, H, W, C]` summed over N, H, W), as a JS loop on the
 * heap with float64 accumulators. The stock kernel transposes the reduced axes last and sums them
 * sequentially in float32, an error growing with the count: the outermost ConvTranspose bias of a
 * UNet at 256x256 sums 65536 values per channel and came out 75x further from float64 than
 * PyTorch float32's (BENCHMARKS.md, "Fidelity against float64"). Other reductions go to the stock
 * kernel.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';

/**
 * Builds the wasm `Sum` kernel from the stock one (its fallback).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'Sum', backendName: 'wasm', kernelFunc: makeSumWasm(stock) });
 * ```
 */
export function makeSumWasm(stock: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const lead = axes.length;
    if (x.dtype !== 'float32' || lead === 0 || axes.some((a, i) => a !== i))
      return stock.kernelFunc(args);
    const backend = args.backend as BackendWasm;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, lead));
    const inner = tf.util.sizeFromShape(x.shape.slice(lead));
    const shape = keepDims ? x.shape.map((d, i) => (i < lead ? 1 : d)) : x.shape.slice(lead);
    const out = backend.makeOutput(shape, 'float32');
    // Views after the allocation, which may grow (and detach) the heap.
    const X = backend.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(inner);
    for (let base = 0; base < outer * inner; base += inner)
      for (let j = 0; j < inner; j++) acc[j] += X[base + j]!;
    (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  };
}
