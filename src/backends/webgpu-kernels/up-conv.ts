/**
 * {@link UP_CONV_KERNEL} for tfjs-backend-webgpu: an eval U-Net level's transposed conv (k4 s2 p1),
 * bias, skip concatenation and activation as one WGSL program, where tfjs ran a
 * Conv2DDerInput program, a BatchNorm, an Add, a Relu (or Tanh) and a Concat. Each output element
 * is either `act(skip)` or `act(bias + sum over the 2x2 contributing taps and the input channels)`;
 * a direct loop like tfjs's own `Conv2DDerInputProgram`.
 */
import { tf } from '../../core/tf.js';
import type { UpConvKernelAttrs } from '../../core/fused-kernels.js';
import type { Uniform, WebGPUBackendLike } from './program.js';

const GROUP = 64;

/** {@link UP_CONV_KERNEL} on webgpu. */
export const upConvWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter, bias, skip } = inputs as Record<'x' | 'filter', tf.TensorInfo> &
    Partial<Record<'bias' | 'skip', tf.TensorInfo>>;
  const { activation } = attrs as unknown as UpConvKernelAttrs;
  const [n, h, w, ci] = x.shape as number[];
  const co = filter.shape[2]!;
  const cs = skip ? skip.shape[3]! : 0;
  const shape = [n, 2 * h, 2 * w, cs + co];
  const size = tf.util.sizeFromShape(shape);
  const names = ['X', 'Wt', ...(bias ? ['Bias'] : []), ...(skip ? ['Skip'] : [])];
  const act =
    activation === 'relu'
      ? 'max(v, 0.0)'
      : activation === 'tanh'
        ? '(sign(v) * (1.0 - exp(-2.0 * abs(v))) / (1.0 + exp(-2.0 * abs(v))))'
        : 'v';
  const uniform = (d: number): Uniform => ({ type: 'int32', data: [d] });
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    {
      variableNames: names,
      outputShape: shape,
      shaderKey: `pix2pixUpConv_${activation}_${bias ? 'b' : ''}${skip ? 's' : ''}`,
      dispatchLayout: { x: shape.map((_, i) => i) },
      dispatch: [Math.ceil(size / GROUP), 1, 1],
      workgroupSize: [GROUP, 1, 1],
      size: true,
      uniforms: 'h : i32, w : i32, ci : i32, co : i32, cs : i32, ',
      getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let C = uniforms.cs + uniforms.co;
        let c = index % C;
        let pix = index / C;
        var v = 0.0;
        if (c < uniforms.cs) {
          ${skip ? 'v = Skip[pix * uniforms.cs + c];' : ''}
        } else {
          let oc = c - uniforms.cs;
          let W2 = 2 * uniforms.w;
          let X2 = pix % W2;
          let Y = (pix / W2) % (2 * uniforms.h);
          let b = pix / (W2 * 2 * uniforms.h);
          ${bias ? 'v = Bias[oc];' : ''}
          var acc = 0.0;
          // Output row Y = 2m + ky - 1 reads input row m through kernel row ky (pad 1, stride 2).
          for (var ky = (Y + 1) % 2; ky < 4; ky = ky + 2) {
            let m = (Y + 1 - ky) / 2;
            if (m < 0 || m >= uniforms.h) { continue; }
            for (var kx = (X2 + 1) % 2; kx < 4; kx = kx + 2) {
              let l = (X2 + 1 - kx) / 2;
              if (l < 0 || l >= uniforms.w) { continue; }
              let xb = ((b * uniforms.h + m) * uniforms.w + l) * uniforms.ci;
              let wb = ((ky * 4 + kx) * uniforms.co + oc) * uniforms.ci;
              for (var i = 0; i < uniforms.ci; i = i + 1) {
                acc = acc + X[xb + i] * Wt[wb + i];
              }
            }
          }
          v = v + acc;
        }
        setOutputAtIndex(index, ${act});
      }`,
    },
    [x, filter, ...(bias ? [bias] : []), ...(skip ? [skip] : [])],
    'float32',
    [uniform(h), uniform(w), uniform(ci), uniform(co), uniform(cs)],
  );
};
