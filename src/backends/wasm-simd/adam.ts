/**
 * {@link ADAM_KERNEL} on the wasm backend through pix2pix-ts's own SIMD module (`kernels.c`
 * `adam`): one pass over tfjs's memory, four parameters per instruction, each operation rounded
 * to float32 in the order of the op chain, so the results are bitwise those of the JS loop in
 * `webgpu-kernels/adam-cpu.ts` and of the chain itself.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { f32, heapOffset, wasmSimd } from './index.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';

/**
 * Runs the update into `outs` ([param, m, v], already allocated) when the module is loaded on
 * `backend`; returns false (nothing written) when it is not.
 *
 * @example
 * ```ts
 * if (!adamWasmSimd(backend, { param, grad, m, v }, outs, attrs)) adamUpdate(...);
 * ```
 */
export function adamWasmSimd(
  backend: BackendWasm,
  ins: Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>,
  outs: tf.TensorInfo[],
  a: AdamKernelAttrs,
): boolean {
  const simd = wasmSimd(backend);
  if (!simd) return false;
  const at = (t: tf.TensorInfo) => heapOffset(backend, t.dataId);
  const n = outs[0]!.shape.reduce((x, y) => x * y, 1);
  simd.exports.adam(
    at(ins.param),
    at(ins.grad),
    at(ins.m),
    at(ins.v),
    at(outs[0]!),
    at(outs[1]!),
    at(outs[2]!),
    n,
    f32(a.beta1),
    f32(1 - a.beta1),
    f32(a.beta2),
    f32(1 - a.beta2),
    f32(a.bc2Sqrt),
    f32(a.epsilon),
    f32(a.stepSize),
  );
  return true;
}
