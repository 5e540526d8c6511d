/**
 * The loss kernels of src/core/fused-kernels.ts for tfjs-backend-webgpu: the loss as one WGSL
 * program (one workgroup sums every element, tree sum in workgroup memory) and its gradient as
 * one elementwise program, instead of ~8 kernels forward and ~10 backward per loss term.
 */
import { tf } from '../../core/tf.js';
import { LOSS_KERNEL, type LossKernelAttrs } from '../../core/fused-kernels.js';
import type { WebGPUBackendLike, WebGPUProgramLike } from './program.js';

const GROUP = 256;

/** WGSL of the per-element loss `f` at index `i` (reads `X`, and `Y` for l1). */
function term(kind: LossKernelAttrs['kind']): string {
  if (kind === 'bce') return 'max(X[i], 0.0) - X[i] * uniforms.tgt + log(1.0 + exp(-abs(X[i])))';
  if (kind === 'mse') return '(X[i] - uniforms.tgt) * (X[i] - uniforms.tgt)';
  return 'abs(X[i] - Y[i])';
}

/** WGSL of the derivative `f'` at index `index`. */
function derivative(kind: LossKernelAttrs['kind']): string {
  if (kind === 'bce') return '1.0 / (1.0 + exp(-X[index])) - uniforms.tgt';
  if (kind === 'mse') return '2.0 * (X[index] - uniforms.tgt)';
  return 'sign(X[index] - Y[index])';
}

function names(
  kind: LossKernelAttrs['kind'],
  inputs: Record<string, tf.TensorInfo>,
): tf.TensorInfo[] {
  if (kind !== 'l1') return [inputs.x!];
  if (
    !inputs.y ||
    tf.util.sizeFromShape(inputs.y.shape) !== tf.util.sizeFromShape(inputs.x!.shape)
  ) {
    throw new Error(`${LOSS_KERNEL}: l1 needs inputs x and y of one shape`);
  }
  return [inputs.x!, inputs.y];
}

/** {@link LOSS_KERNEL} on webgpu (exported for the tests). */
export const lossWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as LossKernelAttrs;
  const ins = names(a.kind, inputs as Record<string, tf.TensorInfo>);
  const n = tf.util.sizeFromShape(ins[0]!.shape);
  const program: WebGPUProgramLike = {
    variableNames: a.kind === 'l1' ? ['X', 'Y'] : ['X'],
    outputShape: [1],
    shaderKey: `pix2pixLoss_${a.kind}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    workgroupSize: [GROUP, 1, 1],
    size: false,
    uniforms: 'count : i32, tgt : f32, scale : f32, ',
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${GROUP}>;
      fn main(index : i32) {
        let lid = i32(localId.x);
        var s = 0.0;
        for (var i = lid; i < uniforms.count; i = i + ${GROUP}) { s = s + ${term(a.kind)}; }
        partial[lid] = s;
        workgroupBarrier();
        for (var h = ${GROUP / 2}; h > 0; h = h / 2) {
          if (lid < h) { partial[lid] = partial[lid] + partial[lid + h]; }
          workgroupBarrier();
        }
        if (lid == 0) { setOutputAtIndex(0, uniforms.scale * (partial[0] / f32(uniforms.count))); }
      }`,
  };
  const out = (backend as unknown as WebGPUBackendLike).runWebGPUProgram(program, ins, 'float32', [
    { type: 'int32', data: [n] },
    { type: 'float32', data: [a.target] },
    { type: 'float32', data: [a.scale] },
  ]);
  // A scalar: the [1] buffer relabelled, as tfjs's own Reshape does (no program).
  return { dataId: out.dataId, shape: [], dtype: out.dtype };
};

/** {@link LOSS_GRAD_KERNEL} on webgpu. */
export const lossGradWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as LossKernelAttrs;
  const all = inputs as Record<string, tf.TensorInfo>;
  const ins = names(a.kind, all);
  const x = ins[0]!;
  const n = tf.util.sizeFromShape(x.shape);
  const program: WebGPUProgramLike = {
    variableNames: a.kind === 'l1' ? ['DY', 'X', 'Y'] : ['DY', 'X'],
    outputShape: x.shape,
    shaderKey: `pix2pixLossGrad_${a.kind}`,
    dispatchLayout: { x: x.shape.map((_, i) => i) },
    dispatch: [Math.ceil(n / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    size: true,
    uniforms: 'tgt : f32, factor : f32, ',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, DY[0] * uniforms.factor * (${derivative(a.kind)}));
        }
      }`,
  };
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    program,
    [all.dy!, ...ins],
    'float32',
    [
      { type: 'float32', data: [a.target] },
      { type: 'float32', data: [a.scale / n] },
    ],
  );
};
