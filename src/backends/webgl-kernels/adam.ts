/**
 * {@link ADAM_KERNEL} for tfjs-backend-webgl: three GLSL programs per parameter (new m, new v,
 * new parameter; a WebGL program renders one output texture) instead of 13 kernels and 5 scalar
 * uploads. The attributes travel as uniforms.
 */
import { tf } from '../../core/tf.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';

/** The subset of tfjs-backend-webgl's `GPGPUProgram` these programs fill in. */
interface GPGPUProgramLike {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: Array<{ name: string; type: 'float' }>;
}

interface WebGLBackendLike {
  runWebGLProgram(
    program: GPGPUProgramLike,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    customUniformValues: number[][],
  ): tf.TensorInfo;
}

function program(
  variableNames: string[],
  shape: number[],
  uniforms: string[],
  expr: string,
): GPGPUProgramLike {
  const reads = variableNames
    .map((n) => `float ${n.toLowerCase()} = get${n}AtOutCoords();`)
    .join('\n        ');
  return {
    variableNames,
    outputShape: shape,
    customUniforms: uniforms.map((name) => ({ name, type: 'float' as const })),
    userCode: `
      void main() {
        ${reads}
        setOutput(${expr});
      }`,
  };
}

/**
 * The webgl kernel function (exported for the tests).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'webgl', kernelFunc: adamWebGL });
 * ```
 */
export const adamWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const a = attrs as unknown as AdamKernelAttrs;
  const be = backend as unknown as WebGLBackendLike;
  const shape = param.shape;
  const m2 = be.runWebGLProgram(
    program(['G', 'M'], shape, ['b1', 'c1'], 'm * b1 + g * c1'),
    [grad, m],
    'float32',
    [[a.beta1], [1 - a.beta1]],
  );
  const v2 = be.runWebGLProgram(
    program(['G', 'V'], shape, ['b2', 'c2'], 'v * b2 + (g * g) * c2'),
    [grad, v],
    'float32',
    [[a.beta2], [1 - a.beta2]],
  );
  const p2 = be.runWebGLProgram(
    program(
      ['P', 'M', 'V'],
      shape,
      ['bc', 'eps', 'stepSize'],
      'p - (m / (sqrt(v) / bc + eps)) * stepSize',
    ),
    [param, m2, v2],
    'float32',
    [[a.bc2Sqrt], [a.epsilon], [a.stepSize]],
  );
  return [p2, m2, v2];
};
