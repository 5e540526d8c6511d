/**
 * {@link ADAM_KERNEL} on the wasm backend through pix2pix-ts's own SIMD module (`kernels.c`
 * `adam`): one pass per parameter over tfjs's memory, four elements per instruction, each
 * operation rounded to float32 in the order of the op chain, so the results are bitwise those of
 * the JS loop of `cpu-kernels/adam.ts` and of the chain itself.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { f32, heapOffset, wasmSimd } from './index.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';

/**
 * Runs the update of one group (`state` = `[m..., v...]` of all its parameters) into `state2` and
 * `params2` (already allocated) when the module is loaded on `backend`; returns false (nothing
 * written) when it is not.
 *
 * @example
 * ```ts
 * if (!adamWasmSimd(backend, state, grads, params, outs[0], outs.slice(1), attrs)) adamUpdate(...);
 * ```
 */
export function adamWasmSimd(
  backend: BackendWasm,
  state: tf.TensorInfo,
  grads: tf.TensorInfo[],
  params: tf.TensorInfo[],
  state2: tf.TensorInfo,
  params2: tf.TensorInfo[],
  a: AdamKernelAttrs,
): boolean {
  const simd = wasmSimd(backend);
  if (!simd) return false;
  const at = (t: tf.TensorInfo) => heapOffset(backend, t.dataId);
  const size = (t: tf.TensorInfo) => t.shape.reduce((x, y) => x * y, 1);
  const total = size(state) / 2;
  const [s, s2] = [at(state), at(state2)];
  let off = 0;
  params.forEach((p, k) => {
    const n = size(p);
    simd.exports.adam(
      at(p),
      at(grads[k]!),
      s + 4 * off,
      s + 4 * (total + off),
      at(params2[k]!),
      s2 + 4 * off,
      s2 + 4 * (total + off),
      n,
      f32(a.beta1),
      f32(1 - a.beta1),
      f32(a.beta2),
      f32(1 - a.beta2),
      f32(a.bc2Sqrt),
      f32(a.epsilon),
      f32(a.stepSize),
    );
    off += n;
  });
  return true;
}
