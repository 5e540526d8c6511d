/**
 * {@link UP_CONV_KERNEL} for the cpu backend: tfjs's own cpu `Conv2DBackpropInput`, then one JS
 * loop for the bias, the skip concatenation and the activation, in float32. With it the cpu
 * backend runs (and test/pix2pix/op-count.test.ts counts) the eval graph of webgl and webgpu.
 */
import { tf } from '../../core/tf.js';
import type { UpConvKernelAttrs } from '../../core/fused-kernels.js';

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(t: tf.TensorInfo): void;
}

/** {@link UP_CONV_KERNEL} on cpu. */
export const upConvCpu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter, bias, skip } = inputs as Record<'x' | 'filter', tf.TensorInfo> &
    Partial<Record<'bias' | 'skip', tf.TensorInfo>>;
  const { activation } = attrs as unknown as UpConvKernelAttrs;
  const cpu = backend as unknown as CpuLike;
  const [n, h, w] = x.shape as number[];
  const co = filter.shape[2]!;
  const cs = skip ? skip.shape[3]! : 0;
  const C = cs + co;
  const convT = tf.getKernel('Conv2DBackpropInput', 'cpu')!;
  const y = convT.kernelFunc({
    inputs: { dy: x, filter },
    backend,
    attrs: { inputShape: [n, 2 * h, 2 * w, co], strides: 2, pad: 1, dataFormat: 'NHWC' },
  }) as tf.TensorInfo;
  const yv = cpu.readSync(y.dataId) as Float32Array;
  const bv = bias ? (cpu.readSync(bias.dataId) as Float32Array) : undefined;
  const sv = skip ? (cpu.readSync(skip.dataId) as Float32Array) : undefined;
  const pixels = n * 4 * h * w;
  const out = new Float32Array(pixels * C);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < C; c++) {
      let v = c < cs ? sv![p * cs + c]! : yv[p * co + c - cs]!;
      if (c >= cs && bv) v = Math.fround(v + bv[c - cs]!);
      out[p * C + c] =
        activation === 'tanh' ? Math.tanh(v) : activation === 'relu' && v < 0 ? 0 : v;
    }
  }
  cpu.disposeIntermediateTensorInfo(y);
  return cpu.makeTensorInfo([n, 2 * h, 2 * w, C], 'float32', out);
};
