/**
 * The loss kernels of src/core/fused-kernels.ts for tfjs-backend-webgl: the loss as one GLSL
 * program (one fragment loops over every element, summing row by row) and its gradient as one
 * elementwise program, instead of ~8 kernels forward and ~10 backward per loss term.
 */
import { tf } from '../../core/tf.js';
import { LOSS_KERNEL, type LossKernelAttrs } from '../../core/fused-kernels.js';

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

/** GLSL of the per-element loss of values `xv` (and `yv`). */
function term(kind: LossKernelAttrs['kind']): string {
  if (kind === 'bce') return 'max(xv, 0.0) - xv * target + log(1.0 + exp(-abs(xv)))';
  if (kind === 'mse') return '(xv - target) * (xv - target)';
  return 'abs(xv - yv)';
}

function derivative(kind: LossKernelAttrs['kind']): string {
  if (kind === 'bce') return '1.0 / (1.0 + exp(-xv)) - target';
  if (kind === 'mse') return '2.0 * (xv - target)';
  return 'sign(xv - yv)';
}

function operands(
  kind: LossKernelAttrs['kind'],
  inputs: Record<string, tf.TensorInfo>,
): tf.TensorInfo[] {
  const x = inputs.x!;
  if (x.shape.length !== 4)
    throw new Error(`${LOSS_KERNEL}: expects NHWC tensors, got shape [${x.shape}]`);
  if (kind !== 'l1') return [x];
  if (!inputs.y || !tf.util.arraysEqual(inputs.y.shape, x.shape))
    throw new Error(`${LOSS_KERNEL}: l1 needs inputs x and y of one shape`);
  return [x, inputs.y];
}

/** {@link LOSS_KERNEL} on webgl (exported for the tests). */
export const lossWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as LossKernelAttrs;
  const ins = operands(a.kind, inputs as Record<string, tf.TensorInfo>);
  const [N, H, W, C] = ins[0]!.shape as [number, number, number, number];
  const out = (backend as unknown as WebGLBackendLike).runWebGLProgram(
    {
      variableNames: a.kind === 'l1' ? ['x', 'y'] : ['x'],
      outputShape: [1],
      customUniforms: [
        { name: 'target', type: 'float' },
        { name: 'scale', type: 'float' },
      ],
      userCode: `
      void main() {
        // Summed in levels (a row, then an image, then the batch): float32 round-off that grows
        // with W*C + H + N rather than with the element count.
        float s = 0.0;
        for (int ib = 0; ib < ${N}; ib++) {
          float image = 0.0;
          for (int iy = 0; iy < ${H}; iy++) {
            float row = 0.0;
            for (int ix = 0; ix < ${W}; ix++) {
              for (int ic = 0; ic < ${C}; ic++) {
                float xv = getX(ib, iy, ix, ic);
                ${a.kind === 'l1' ? 'float yv = getY(ib, iy, ix, ic);' : ''}
                row += ${term(a.kind)};
              }
            }
            image += row;
          }
          s += image;
        }
        setOutput(scale * (s / float(${N * H * W * C})));
      }`,
    },
    ins,
    'float32',
    [[a.target], [a.scale]],
  );
  // A scalar: the [1] texture relabelled, as tfjs's own Reshape does for unpacked data (no program).
  return { dataId: out.dataId, shape: [], dtype: out.dtype };
};

/** {@link LOSS_GRAD_KERNEL} on webgl. */
export const lossGradWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as LossKernelAttrs;
  const all = inputs as Record<string, tf.TensorInfo>;
  const ins = operands(a.kind, all);
  const x = ins[0]!;
  return (backend as unknown as WebGLBackendLike).runWebGLProgram(
    {
      variableNames: a.kind === 'l1' ? ['dy', 'x', 'y'] : ['dy', 'x'],
      outputShape: x.shape,
      customUniforms: [
        { name: 'target', type: 'float' },
        { name: 'factor', type: 'float' },
      ],
      userCode: `
      void main() {
        float xv = getXAtOutCoords();
        ${a.kind === 'l1' ? 'float yv = getYAtOutCoords();' : ''}
        setOutput(getDy() * factor * (${derivative(a.kind)}));
      }`,
    },
    [all.dy!, ...ins],
    'float32',
    [[a.target], [a.scale / tf.util.sizeFromShape(x.shape)]],
  );
};
