/**
 * {@link ADAM_KERNEL} for tfjs-backend-webgpu: one WGSL program computes the group's new packed
 * moments (m and v of up to six parameters: tfjs programs have one output each), then one program
 * per parameter its new value, instead of 13 kernels and 5 scalar uploads per parameter. The
 * attributes travel as uniforms, so nothing is uploaded per step.
 */
import { tf } from '../../core/tf.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';
import { adamGroupInputs } from '../cpu-kernels/adam.js';
import type { WebGPUBackendLike, WebGPUProgramLike } from './program.js';

const WORKGROUP = 64;

function program(
  key: string,
  variableNames: string[],
  shape: number[],
  uniforms: string,
  body: string,
): WebGPUProgramLike {
  const n = tf.util.sizeFromShape(shape);
  return {
    variableNames,
    outputShape: shape,
    shaderKey: `pix2pixAdam_${key}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(n / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * The new state `[2, n]`: element `j` of row 0 is `m'`, of row 1 `v'`, with the gradient read from
 * the parameter whose range holds `j` (the ranges are compiled in: one shader per group layout).
 */
function stateProgram(sizes: number[]): WebGPUProgramLike {
  const n = sizes.reduce((a, b) => a + b, 0);
  let off = 0;
  const pick = sizes
    .map((size, k) => {
      const cond = k === sizes.length - 1 ? '' : `if (j < ${off + size}) `;
      const line = `${cond}{ g = G${k}[j - ${off}]; }`;
      off += size;
      return line;
    })
    .join(' else ');
  return program(
    `state_${sizes.join('_')}`,
    ['S', ...sizes.map((_, k) => `G${k}`)],
    [2, n],
    'b1 : f32, c1 : f32, b2 : f32, c2 : f32, ',
    `let row = index / ${n};
          let j = index - row * ${n};
          var g = 0.0;
          ${pick}
          if (row == 0) {
            setOutputAtIndex(index, S[index] * uniforms.b1 + g * uniforms.c1);
          } else {
            setOutputAtIndex(index, S[index] * uniforms.b2 + (g * g) * uniforms.c2);
          }`,
  );
}

/** A parameter's new value from the new state, its m at `off` in row 0 and its v in row 1. */
function paramProgram(shape: number[]): WebGPUProgramLike {
  return program(
    'p',
    ['P', 'S'],
    shape,
    'bc : f32, eps : f32, step : f32, off : i32, n : i32, ',
    `let m = S[uniforms.off + index];
          let v = S[uniforms.n + uniforms.off + index];
          setOutputAtIndex(index, P[index] - (m / (sqrt(v) / uniforms.bc + uniforms.eps)) * uniforms.step);`,
  );
}

const f32 = (...data: number[]) => data.map((d) => ({ type: 'float32' as const, data: [d] }));
const i32 = (...data: number[]) => data.map((d) => ({ type: 'int32' as const, data: [d] }));

/**
 * The webgpu kernel function (exported for the tests).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'webgpu', kernelFunc: adamWebGPU });
 * ```
 */
export const adamWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { state, grads, params } = adamGroupInputs(inputs);
  const a = attrs as unknown as AdamKernelAttrs;
  const be = backend as unknown as WebGPUBackendLike;
  const sizes = params.map((p) => tf.util.sizeFromShape(p.shape));
  const n = state.shape[1]!;
  const state2 = be.runWebGPUProgram(
    stateProgram(sizes),
    [state, ...grads],
    'float32',
    f32(a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2),
  );
  let off = 0;
  const params2 = params.map((p, k) => {
    const out = be.runWebGPUProgram(paramProgram(p.shape), [p, state2], 'float32', [
      ...f32(a.bc2Sqrt, a.epsilon, a.stepSize),
      ...i32(off, n),
    ]);
    off += sizes[k]!;
    return out;
  });
  return [state2, ...params2];
};
