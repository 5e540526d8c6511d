/**
 * {@link UP_CONV_KERNEL} for tfjs-backend-webgl (unpacked): an eval U-Net level's transposed conv
 * (k4 s2 p1), bias, skip concatenation and activation as one GLSL program, where tfjs ran a
 * Conv2DDerInput program, a BatchNorm, an Add, a Relu (or Tanh) and a Concat. Each output element
 * is either `act(skip)` or `act(bias + sum over the 2x2 contributing taps and the input channels)`;
 * a direct loop like tfjs's own `Conv2DDerInputProgram`.
 */
import type { tf } from '../../core/tf.js';
import type { UpConvKernelAttrs } from '../../core/fused-kernels.js';

interface WebGLBackendLike {
  runWebGLProgram(
    program: { variableNames: string[]; outputShape: number[]; userCode: string },
    inputs: tf.TensorInfo[],
    dtype: 'float32',
  ): tf.TensorInfo;
}

/** {@link UP_CONV_KERNEL} on webgl. */
export const upConvWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter, bias, skip } = inputs as Record<'x' | 'filter', tf.TensorInfo> &
    Partial<Record<'bias' | 'skip', tf.TensorInfo>>;
  const { activation } = attrs as unknown as UpConvKernelAttrs;
  const [n, h, w, ci] = x.shape as number[];
  const co = filter.shape[2]!;
  const cs = skip ? skip.shape[3]! : 0;
  const act =
    activation === 'relu'
      ? 'max(v, 0.0)'
      : activation === 'tanh'
        ? '(sign(v) * (1.0 - exp(-2.0 * abs(v))) / (1.0 + exp(-2.0 * abs(v))))'
        : 'v';
  return (backend as unknown as WebGLBackendLike).runWebGLProgram(
    {
      variableNames: ['x', 'wt', ...(bias ? ['bias'] : []), ...(skip ? ['skip'] : [])],
      outputShape: [n, 2 * h, 2 * w, cs + co],
      userCode: `
      void main() {
        ivec4 o = getOutputCoords();
        float v = 0.0;
        if (o.w < ${cs}) {
          ${skip ? 'v = getSkip(o.x, o.y, o.z, o.w);' : ''}
        } else {
          int oc = o.w - ${cs};
          ${bias ? 'v = getBias(oc);' : ''}
          float acc = 0.0;
          // Output row Y = 2m + ky - 1 reads input row m through kernel row ky (pad 1, stride 2).
          for (int ty = 0; ty < 2; ty++) {
            int ky = imod(o.y + 1, 2) + 2 * ty;
            int m = (o.y + 1 - ky) / 2;
            if (m < 0 || m >= ${h}) continue;
            for (int tx = 0; tx < 2; tx++) {
              int kx = imod(o.z + 1, 2) + 2 * tx;
              int l = (o.z + 1 - kx) / 2;
              if (l < 0 || l >= ${w}) continue;
              for (int i = 0; i < ${ci}; i++) {
                acc += getX(o.x, m, l, i) * getWt(ky, kx, oc, i);
              }
            }
          }
          v += acc;
        }
        setOutput(${act});
      }`,
    },
    [x, filter, ...(bias ? [bias] : []), ...(skip ? [skip] : [])],
    'float32',
  );
};
