/**
 * {@link ADAM_KERNEL} for the cpu backend (and the loop and input check the wasm, webgl and webgpu
 * ones share): one JS loop over the typed arrays (the cpu backend's own arrays; the wasm heap) per
 * group of parameters, instead of 13 tfjs kernels and
 * their temporaries per parameter. Every product, sum, quotient and square root is rounded to float32 with
 * `Math.fround` in the order of the op chain it replaces, so the results are bitwise those of
 * that chain on both backends (float32 +, *, /, sqrt round the exact result once; doing it in
 * float64 and rounding once more is exact for these operations).
 */
import { tf } from '../../core/tf.js';
import { ADAM_GROUP, ADAM_KERNEL, type AdamKernelAttrs } from '../../core/fused-kernels.js';

const f = Math.fround;

/**
 * The Adam update of one group on plain arrays: reads `state` (`[m..., v...]`), `grads` and
 * `params`; writes `state2` and `params2`. Exported for the tests.
 *
 * @example
 * ```ts
 * adamUpdate(state, [g], [p], state2, [p2], { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 4e-4, bc2Sqrt: 0.0316 });
 * ```
 */
export function adamUpdate(
  state: Float32Array,
  grads: Float32Array[],
  params: Float32Array[],
  state2: Float32Array,
  params2: Float32Array[],
  a: AdamKernelAttrs,
): void {
  const B1 = f(a.beta1),
    C1 = f(1 - a.beta1),
    B2 = f(a.beta2),
    C2 = f(1 - a.beta2);
  const BC = f(a.bc2Sqrt),
    E = f(a.epsilon),
    S = f(a.stepSize);
  const n = state.length / 2;
  let off = 0;
  params.forEach((p, k) => {
    const g = grads[k]!;
    const p2 = params2[k]!;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = f(f(state[off + i]! * B1) + f(gi * C1));
      const vi = f(f(state[n + off + i]! * B2) + f(f(gi * gi) * C2));
      const den = f(f(f(Math.sqrt(vi)) / BC) + E);
      p2[i] = p[i]! - f(f(mi / den) * S);
      state2[off + i] = mi;
      state2[n + off + i] = vi;
    }
    off += p.length;
  });
}

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}
/** The inputs of one {@link ADAM_KERNEL} call, checked: the state and the (gradient, parameter) pairs. */
export function adamGroupInputs(inputs: tf.NamedTensorInfoMap): {
  state: tf.TensorInfo;
  grads: tf.TensorInfo[];
  params: tf.TensorInfo[];
} {
  const params: tf.TensorInfo[] = [];
  const grads: tf.TensorInfo[] = [];
  for (let k = 0; inputs[`p${k}`]; k++) {
    const p = inputs[`p${k}`]!;
    const g = inputs[`g${k}`];
    if (!g || g.dtype !== 'float32' || !tf.util.arraysEqual(g.shape, p.shape))
      throw new Error(
        `${ADAM_KERNEL}: input "g${k}" must be float32 of shape [${p.shape}], got ${g ? `${g.dtype} [${g.shape}]` : 'none'}`,
      );
    params.push(p);
    grads.push(g);
  }
  const state = inputs.state;
  const n = params.reduce((s, p) => s + tf.util.sizeFromShape(p.shape), 0);
  if (
    !state ||
    state.dtype !== 'float32' ||
    state.shape.length !== 2 ||
    state.shape[0] !== 2 ||
    state.shape[1] !== n
  )
    throw new Error(
      `${ADAM_KERNEL}: input "state" must be float32 of shape [2,${n}], got ${state ? `${state.dtype} [${state.shape}]` : 'none'}`,
    );
  if (params.length === 0 || params.length > ADAM_GROUP)
    throw new Error(
      `${ADAM_KERNEL}: expected 1 to ${ADAM_GROUP} parameters p0, p1, ..., got ${params.length}`,
    );
  return { state, grads, params };
}

/**
 * {@link ADAM_KERNEL} on cpu.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'cpu', kernelFunc: adamCpu });
 * ```
 */
export const adamCpu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { state, grads, params } = adamGroupInputs(inputs);
  const be = backend as unknown as CpuLike;
  const read = (t: tf.TensorInfo) => be.readSync(t.dataId) as Float32Array;
  const state2 = new Float32Array(state.shape[0]! * state.shape[1]!);
  const params2 = params.map((p) => new Float32Array(tf.util.sizeFromShape(p.shape)));
  adamUpdate(
    read(state),
    grads.map(read),
    params.map(read),
    state2,
    params2,
    attrs as unknown as AdamKernelAttrs,
  );
  return [
    be.makeTensorInfo(state.shape, 'float32', state2),
    ...params.map((p, k) => be.makeTensorInfo(p.shape, 'float32', params2[k]!)),
  ];
};
