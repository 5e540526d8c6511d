/**
 * The activation kernels of src/core/fused-kernels.ts for tfjs-backend-webgl, one elementwise
 * GLSL program each: {@link CONCAT_ACT_KERNEL} (the U-Net skip concatenation and the ReLU after
 * it, which ran as a Concat and a Relu program) and {@link ACT_GRAD_KERNEL} (an activation's
 * backward over a channel range, which ran as Step and Multiply, plus a Slice per input of a
 * concatenation).
 */
import type { tf } from '../../core/tf.js';
import type { ActKernelAttrs, DropoutKernelAttrs } from '../../core/fused-kernels.js';

interface GPGPUProgramLike {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: Array<{ name: string; type: 'float' }>;
}
interface WebGLBackendLike {
  runWebGLProgram(
    program: GPGPUProgramLike,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    customUniformValues?: number[][],
  ): tf.TensorInfo;
}

function rank4(name: string, ...ts: tf.TensorInfo[]): void {
  for (const t of ts)
    if (t.shape.length !== 4)
      throw new Error(`${name}: expects NHWC tensors, got shape [${t.shape}]`);
}

/** {@link CONCAT_ACT_KERNEL} on webgl (exported for the tests). */
export const concatActWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as Record<'a' | 'b', tf.TensorInfo>;
  const { slope } = attrs as unknown as ActKernelAttrs;
  rank4('Pix2PixConcatAct', a, b);
  const ca = a.shape[3]!;
  const act = slope === 0 ? 'max(v, 0.0)' : '(v < 0.0 ? slope * v : v)';
  return (backend as unknown as WebGLBackendLike).runWebGLProgram(
    {
      variableNames: ['a', 'b'],
      outputShape: [...a.shape.slice(0, 3), ca + b.shape[3]!],
      customUniforms: [{ name: 'slope', type: 'float' }],
      userCode: `
      void main() {
        ivec4 o = getOutputCoords();
        float v = o.w < ${ca} ? getA(o.x, o.y, o.z, o.w) : getB(o.x, o.y, o.z, o.w - ${ca});
        setOutput(${act});
      }`,
    },
    [a, b],
    'float32',
    [[slope]],
  );
};

/** {@link ACT_GRAD_KERNEL} on webgl. */
export const actGradWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, y } = inputs as Record<'dy' | 'y', tf.TensorInfo>;
  const {
    kind = 'leaky',
    slope,
    begin = 0,
    size = dy.shape[3]!,
  } = attrs as unknown as ActKernelAttrs;
  rank4('Pix2PixActGrad', dy, y);
  const derivative = kind === 'tanh' ? '(1.0 - yv * yv)' : '(yv > 0.0 ? 1.0 : slope)';
  return (backend as unknown as WebGLBackendLike).runWebGLProgram(
    {
      variableNames: ['dy', 'y'],
      outputShape: [...dy.shape.slice(0, 3), size],
      customUniforms: [{ name: 'slope', type: 'float' }],
      userCode: `
      void main() {
        ivec4 o = getOutputCoords();
        int c = o.w + ${begin};
        float yv = getY(o.x, o.y, o.z, c);
        setOutput(getDy(o.x, o.y, o.z, c) * ${derivative});
      }`,
    },
    [dy, y],
    'float32',
    [[slope]],
  );
};

/** {@link DROPOUT_KERNEL} on webgl. */
export const dropoutWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, u } = inputs as Record<'x' | 'u', tf.TensorInfo>;
  const { threshold, scale } = attrs as unknown as DropoutKernelAttrs;
  return (backend as unknown as WebGLBackendLike).runWebGLProgram(
    {
      variableNames: ['x', 'u'],
      outputShape: x.shape,
      customUniforms: [
        { name: 'threshold', type: 'float' },
        { name: 'scale', type: 'float' },
      ],
      userCode: `
      void main() {
        setOutput(getXAtOutCoords() * (getUAtOutCoords() > threshold ? scale : 0.0));
      }`,
    },
    [x, u],
    'float32',
    [[threshold], [scale]],
  );
};
