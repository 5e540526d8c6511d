/**
 * The activation kernels of src/core/fused-kernels.ts for tfjs-backend-webgpu, one elementwise
 * WGSL program each: {@link CONCAT_ACT_KERNEL} (the U-Net skip concatenation and the ReLU after
 * it, which ran as a Concat and a Relu program) and {@link ACT_GRAD_KERNEL} (an activation's
 * backward over a channel range, which ran as Step and Multiply, plus a Slice per input of a
 * concatenation).
 */
import { tf } from '../../core/tf.js';
import type { ActKernelAttrs, DropoutKernelAttrs } from '../../core/fused-kernels.js';
import type { Uniform, WebGPUBackendLike, WebGPUProgramLike } from './program.js';

const GROUP = 64;
const i32 = (d: number): Uniform => ({ type: 'int32', data: [d] });
const f32 = (d: number): Uniform => ({ type: 'float32', data: [d] });

function program(
  key: string,
  variableNames: string[],
  shape: number[],
  uniforms: string,
  body: string,
): WebGPUProgramLike {
  const size = tf.util.sizeFromShape(shape);
  return {
    variableNames,
    outputShape: shape,
    shaderKey: `pix2pixAct_${key}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / GROUP), 1, 1],
    workgroupSize: [GROUP, 1, 1],
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

/** WGSL of a LeakyReLU of `slope` applied to `v` (ReLU as `max(v, 0)`, as tfjs's own). */
const leaky = (slope: number, v: string) =>
  slope === 0 ? `max(${v}, 0.0)` : `select(${v}, uniforms.slope * ${v}, ${v} < 0.0)`;

/** {@link CONCAT_ACT_KERNEL} on webgpu (exported for the tests). */
export const concatActWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as Record<'a' | 'b', tf.TensorInfo>;
  const { slope } = attrs as unknown as ActKernelAttrs;
  const ca = a.shape[3]!;
  const cb = b.shape[3]!;
  const shape = [...a.shape.slice(0, 3), ca + cb];
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    program(
      slope === 0 ? 'concatRelu' : 'concatLeaky',
      ['A', 'B'],
      shape,
      'ca : i32, cb : i32, slope : f32, ',
      `
          let C = uniforms.ca + uniforms.cb;
          let p = index / C;
          let c = index % C;
          var v = 0.0;
          if (c < uniforms.ca) { v = A[p * uniforms.ca + c]; } else { v = B[p * uniforms.cb + c - uniforms.ca]; }
          setOutputAtIndex(index, ${leaky(slope, 'v')});`,
    ),
    [a, b],
    'float32',
    [i32(ca), i32(cb), f32(slope)],
  );
};

/** {@link ACT_GRAD_KERNEL} on webgpu. */
export const actGradWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, y } = inputs as Record<'dy' | 'y', tf.TensorInfo>;
  const {
    kind = 'leaky',
    slope,
    begin = 0,
    size = dy.shape[3]!,
  } = attrs as unknown as ActKernelAttrs;
  const C = dy.shape[3]!;
  const derivative = kind === 'tanh' ? '(1.0 - yv * yv)' : 'select(uniforms.slope, 1.0, yv > 0.0)';
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    program(
      kind === 'tanh' ? 'gradTanh' : 'gradLeaky',
      ['DY', 'Y'],
      [...dy.shape.slice(0, 3), size],
      'channels : i32, first : i32, width : i32, slope : f32, ',
      `
          let i = (index / uniforms.width) * uniforms.channels + uniforms.first + index % uniforms.width;
          let yv = Y[i];
          setOutputAtIndex(index, DY[i] * ${derivative});`,
    ),
    [dy, y],
    'float32',
    [i32(C), i32(begin), i32(size), f32(slope)],
  );
};

/** {@link DROPOUT_KERNEL} on webgpu. */
export const dropoutWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, u } = inputs as Record<'x' | 'u', tf.TensorInfo>;
  const { threshold, scale } = attrs as unknown as DropoutKernelAttrs;
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    program(
      'dropout',
      ['X', 'U'],
      x.shape,
      'threshold : f32, scale : f32, ',
      `
          setOutputAtIndex(index, X[index] * select(0.0, uniforms.scale, U[index] > uniforms.threshold));`,
    ),
    [x, u],
    'float32',
    [f32(threshold), f32(scale)],
  );
};
