/**
 * {@link ADAM_KERNEL} for tfjs-backend-webgl: one GLSL program for a group's new packed moments
 * and one per parameter for its new value (a WebGL program renders one output texture), instead
 * of 13 kernels and 5 scalar uploads per parameter. The attributes travel as uniforms.
 */
import { tf } from '../../core/tf.js';
import type { AdamKernelAttrs } from '../../core/fused-kernels.js';
import { adamGroupInputs } from '../cpu-kernels/adam.js';

/** The subset of tfjs-backend-webgl's `GPGPUProgram` these programs fill in. */
interface GPGPUProgramLike {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: Array<{ name: string; type: 'float' | 'int' }>;
}

interface WebGLBackendLike {
  runWebGLProgram(
    program: GPGPUProgramLike,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    customUniformValues: number[][],
  ): tf.TensorInfo;
}

const strides = (shape: number[]) =>
  shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1));

/** GLSL for element `j` (flat, row-major) of input `name` of `shape`, through its tfjs getter. */
function flatRead(name: string, shape: number[], j: string): string {
  if (shape.length <= 1) return `get${name}(${j})`;
  const st = strides(shape);
  return `get${name}(${shape.map((d, i) => `(${j} / ${st[i]}) % ${d}`).join(', ')})`;
}

/** The flat (row-major) index of the output coordinates of `shape`, as GLSL (integer). */
function flatOut(shape: number[]): string {
  if (shape.length <= 1) return 'getOutputCoords()';
  const st = strides(shape);
  const names = ['x', 'y', 'z', 'w'];
  return shape.map((_, i) => `c.${names[i]} * ${st[i]}`).join(' + ');
}

/** The new state `[2, n]`: m' in row 0, v' in row 1, the gradient read from the owning parameter. */
function stateProgram(shapes: number[][], n: number): GPGPUProgramLike {
  let off = 0;
  const pick = shapes
    .map((shape, k) => {
      const size = tf.util.sizeFromShape(shape);
      const cond = k === shapes.length - 1 ? '' : `if (j < ${off + size}) `;
      const line = `${cond}{ int jj = j - ${off}; g = ${flatRead(`G${k}`, shape, 'jj')}; }`;
      off += size;
      return line;
    })
    .join(' else ');
  return {
    variableNames: ['S', ...shapes.map((_, k) => `G${k}`)],
    outputShape: [2, n],
    customUniforms: ['b1', 'c1', 'b2', 'c2'].map((name) => ({ name, type: 'float' as const })),
    userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        int j = rc.y;
        float g = 0.0;
        ${pick}
        float s = getS(rc.x, j);
        setOutput(rc.x == 0 ? s * b1 + g * c1 : s * b2 + (g * g) * c2);
      }`,
  };
}

/** A parameter's new value from the new state (its m at `off` in row 0, its v in row 1). */
function paramProgram(shape: number[]): GPGPUProgramLike {
  return {
    variableNames: ['P', 'S'],
    outputShape: shape,
    customUniforms: [
      ...['bc', 'eps', 'stepSize'].map((name) => ({ name, type: 'float' as const })),
      { name: 'off', type: 'int' as const },
    ],
    userCode: `
      void main() {
        ${shape.length <= 1 ? 'int c = 0;' : `ivec${shape.length} c = getOutputCoords();`}
        int i = off + ${flatOut(shape)};
        float p = getPAtOutCoords();
        float m = getS(0, i);
        float v = getS(1, i);
        setOutput(p - (m / (sqrt(v) / bc + eps)) * stepSize);
      }`,
  };
}

/**
 * The webgl kernel function (exported for the tests): one program for the group's new packed
 * moments, one per parameter for its new value.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'webgl', kernelFunc: adamWebGL });
 * ```
 */
export const adamWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { state, grads, params } = adamGroupInputs(inputs);
  const a = attrs as unknown as AdamKernelAttrs;
  const be = backend as unknown as WebGLBackendLike;
  const n = state.shape[1]!;
  const state2 = be.runWebGLProgram(
    stateProgram(
      params.map((p) => p.shape),
      n,
    ),
    [state, ...grads],
    'float32',
    [[a.beta1], [1 - a.beta1], [a.beta2], [1 - a.beta2]],
  );
  let off = 0;
  const params2 = params.map((p) => {
    const out = be.runWebGLProgram(paramProgram(p.shape), [p, state2], 'float32', [
      [a.bc2Sqrt],
      [a.epsilon],
      [a.stepSize],
      [off],
    ]);
    off += tf.util.sizeFromShape(p.shape);
    return out;
  });
  return [state2, ...params2];
};
