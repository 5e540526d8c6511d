/**
 * {@link ADAM_KERNEL} for tfjs-backend-webgpu: three WGSL compute programs per parameter (new m,
 * new v, new parameter; tfjs programs have one output each) instead of 13 kernels and 5 scalar
 * uploads. The attributes travel as uniforms, so nothing is uploaded per step.
 */
import { tf } from '../../core/tf.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';
import type { WebGPUBackendLike, WebGPUProgramLike } from './program.js';

const WORKGROUP = 64;

function program(
  key: string,
  variableNames: string[],
  shape: number[],
  uniforms: string[],
  expr: string,
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
    uniforms: uniforms.map((u) => `${u} : f32, `).join(''),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, ${expr});
        }
      }`,
  };
}

const f32 = (...data: number[]) => data.map((d) => ({ type: 'float32' as const, data: [d] }));

/**
 * The webgpu kernel function (exported for the tests).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'webgpu', kernelFunc: adamWebGPU });
 * ```
 */
export const adamWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const a = attrs as unknown as AdamKernelAttrs;
  const be = backend as unknown as WebGPUBackendLike;
  const shape = param.shape;
  const m2 = be.runWebGPUProgram(
    program(
      'm',
      ['G', 'M'],
      shape,
      ['b1', 'c1'],
      'M[index] * uniforms.b1 + G[index] * uniforms.c1',
    ),
    [grad, m],
    'float32',
    f32(a.beta1, 1 - a.beta1),
  );
  const v2 = be.runWebGPUProgram(
    program(
      'v',
      ['G', 'V'],
      shape,
      ['b2', 'c2'],
      'V[index] * uniforms.b2 + (G[index] * G[index]) * uniforms.c2',
    ),
    [grad, v],
    'float32',
    f32(a.beta2, 1 - a.beta2),
  );
  const p2 = be.runWebGPUProgram(
    program(
      'p',
      ['P', 'M', 'V'],
      shape,
      ['bc', 'eps', 'step'],
      'P[index] - (M[index] / (sqrt(V[index]) / uniforms.bc + uniforms.eps)) * uniforms.step',
    ),
    [param, m2, v2],
    'float32',
    f32(a.bc2Sqrt, a.epsilon, a.stepSize),
  );
  return [p2, m2, v2];
};
