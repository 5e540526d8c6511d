/**
 * {@link ADAM_KERNEL} for the cpu and wasm backends: one JS loop over the typed arrays (the cpu
 * backend's own arrays; the wasm heap), instead of 13 tfjs kernels and their temporaries per
 * parameter. Every product, sum, quotient and square root is rounded to float32 with
 * `Math.fround` in the order of the op chain it replaces, so the results are bitwise those of
 * that chain on both backends (float32 +, *, /, sqrt round the exact result once; doing it in
 * float64 and rounding once more is exact for these operations).
 */
import { tf } from '../../core/tf.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../core/fused-kernels.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { adamWasmSimd } from '../wasm-simd/adam.js';

const f = Math.fround;

/**
 * The Adam update on plain arrays (writes `p2`, `m2`, `v2`). Exported for the tests.
 *
 * @example
 * ```ts
 * adamUpdate(p, g, m, v, p2, m2, v2, { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 4e-4, bc2Sqrt: 0.0316 });
 * ```
 */
export function adamUpdate(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  p2: Float32Array,
  m2: Float32Array,
  v2: Float32Array,
  a: AdamKernelAttrs,
): void {
  const B1 = f(a.beta1),
    C1 = f(1 - a.beta1),
    B2 = f(a.beta2),
    C2 = f(1 - a.beta2);
  const BC = f(a.bc2Sqrt),
    E = f(a.epsilon),
    S = f(a.stepSize);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * B1) + f(gi * C1));
    const vi = f(f(v[i]! * B2) + f(f(gi * gi) * C2));
    const den = f(f(f(Math.sqrt(vi)) / BC) + E);
    p2[i] = p[i]! - f(f(mi / den) * S);
    m2[i] = mi;
    v2[i] = vi;
  }
}

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}
interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): unknown;
}

type AdamInputs = Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;

function checkInputs(inputs: AdamInputs): void {
  const n = tf.util.sizeFromShape(inputs.param.shape);
  for (const k of ['grad', 'm', 'v'] as const) {
    if (tf.util.sizeFromShape(inputs[k].shape) !== n || inputs[k].dtype !== 'float32') {
      throw new Error(
        `${ADAM_KERNEL}: input "${k}" must be float32 of shape [${inputs.param.shape}], got ${inputs[k].dtype} [${inputs[k].shape}]`,
      );
    }
  }
}

const cpuKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as AdamInputs;
  checkInputs(ins);
  const be = backend as unknown as CpuLike;
  const read = (t: tf.TensorInfo) => be.readSync(t.dataId) as Float32Array;
  const n = read(ins.param).length;
  const p2 = new Float32Array(n),
    m2 = new Float32Array(n),
    v2 = new Float32Array(n);
  adamUpdate(
    read(ins.param),
    read(ins.grad),
    read(ins.m),
    read(ins.v),
    p2,
    m2,
    v2,
    attrs as unknown as AdamKernelAttrs,
  );
  const shape = ins.param.shape;
  return [
    be.makeTensorInfo(shape, 'float32', p2),
    be.makeTensorInfo(shape, 'float32', m2),
    be.makeTensorInfo(shape, 'float32', v2),
  ];
};

const wasmKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as AdamInputs;
  checkInputs(ins);
  const be = backend as unknown as WasmLike;
  const shape = ins.param.shape;
  const outs = [
    be.makeOutput(shape, 'float32'),
    be.makeOutput(shape, 'float32'),
    be.makeOutput(shape, 'float32'),
  ];
  // pix2pix-ts's own SIMD module on the same memory, when loaded (bitwise the same results).
  if (adamWasmSimd(backend as unknown as BackendWasm, ins, outs, attrs as unknown as AdamKernelAttrs))
    return outs;
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

/**
 * Registers {@link ADAM_KERNEL} for `cpu` or `wasm` (idempotent; other names are ignored).
 *
 * @example
 * ```ts
 * registerCpuAdam('wasm');
 * ```
 */
export function registerCpuAdam(backendName: string): void {
  const kernelFunc =
    backendName === 'cpu' ? cpuKernel : backendName === 'wasm' ? wasmKernel : undefined;
  if (!kernelFunc || tf.getKernel(ADAM_KERNEL, backendName)) return;
  tf.registerKernel({ kernelName: ADAM_KERNEL, backendName, kernelFunc });
}
