/**
 * {@link UP_CONV_KERNEL} for the wasm backend: the transposed conv of an eval U-Net level with its
 * bias and ReLU inside the XNNPACK call, and the skip concatenation in the same pass that lays the
 * result out. For the sub-pixel form (see conv2d-backprop-input.ts) each of the four phase
 * convolutions is one `FusedConv2D` (bias and ReLU in XNNPACK's epilogue, weights re-laid out and
 * packed once per weight tensor); one JS pass then interleaves the phases into the output next to
 * `relu(skip)`, where before two Concats interleaved them, a BatchNorm, two ReLUs and a third
 * Concat each made another pass. Weight-heavy layers on small images keep the matmul + col2im form
 * of our `Conv2DBackpropInput` and add bias, activation and skip in that pass.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import type { UpConvKernelAttrs } from '../../core/fused-kernels.js';
import { withWasmScope } from './compose.js';
import { conv2dGeometry } from './conv2d-backprop-filter.js';
import { chooseConv2dBackpropInput, relaidFilters } from './conv2d-backprop-input.js';
import { derivedWeights } from './weight-cache.js';

type Inputs = {
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  bias?: tf.TensorInfo;
  skip?: tf.TensorInfo;
};

/**
 * Writes `act(cat(skip, y + bias))` into `out [n, 2h, 2w, cs + co]`, where `y` is either one full
 * `[n, 2h, 2w, co]` tensor or four phase tensors `[n, h, w, co]` (output pixel `(2m + ry, 2l + rx)`
 * is phase `ry * 2 + rx`'s pixel `(m, l)`). `bias` is undefined when it was already added (and
 * the ReLU already applied) by the convolution.
 */
function layOut(
  out: Float32Array,
  parts: Float32Array[],
  skip: Float32Array | undefined,
  bias: Float32Array | undefined,
  n: number,
  H: number,
  W: number,
  cs: number,
  co: number,
  activation: UpConvKernelAttrs['activation'],
  convActivated: boolean,
): void {
  const C = cs + co;
  const phased = parts.length === 4;
  const w = W >> 1;
  const relu = activation === 'relu';
  const tanh = activation === 'tanh';
  let o = 0;
  let si = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++, o += C) {
        if (skip) {
          for (let c = 0; c < cs; c++, si++) {
            const v = skip[si];
            out[o + c] = relu && v < 0 ? 0 : v;
          }
        }
        let src: Float32Array;
        let s: number;
        if (phased) {
          src = parts[(y & 1) * 2 + (x & 1)];
          s = ((b * (H >> 1) + (y >> 1)) * w + (x >> 1)) * co;
        } else {
          src = parts[0];
          s = ((b * H + y) * W + x) * co;
        }
        const d = o + cs;
        if (convActivated && !tanh) {
          for (let c = 0; c < co; c++) out[d + c] = src[s + c];
        } else {
          for (let c = 0; c < co; c++) {
            let v = bias ? src[s + c] + bias[c] : src[s + c];
            v = Math.fround(v);
            out[d + c] = tanh ? Math.tanh(v) : relu && v < 0 ? 0 : v;
          }
        }
      }
    }
  }
}

/**
 * {@link UP_CONV_KERNEL} on wasm (registered from src/backends/kernels.ts).
 *
 * @example
 * ```ts
 * tf.engine().runKernel('Pix2PixUpConv', { x, filter, bias, skip }, { activation: 'relu' });
 * ```
 */
export const upConvWasm = ({
  inputs,
  backend,
  attrs,
}: {
  inputs: Inputs;
  backend: BackendWasm;
  attrs: UpConvKernelAttrs;
}): tf.TensorInfo => {
  const { x, filter, bias, skip } = inputs;
  const { activation } = attrs;
  const [n, h, w] = x.shape as number[];
  const co = filter.shape[2]!;
  const cs = skip ? skip.shape[3]! : 0;
  const H = 2 * h;
  const W = 2 * w;
  const info = conv2dGeometry(
    [n, H, W, co],
    filter.shape,
    2,
    1,
    'NHWC',
    undefined,
    'Pix2PixUpConv',
  );
  // Inference: the weights are the same on every call, so the re-laid-out phase filters are cached.
  const plan = chooseConv2dBackpropInput(info, true);
  return withWasmScope(backend, (s) => {
    let parts: tf.TensorInfo[];
    let convActivated = false;
    if (plan === 'phase-s2k4p1') {
      const filters = derivedWeights(backend, filter, `bpi:${plan}`, () =>
        relaidFilters(backend, filter, plan, info),
      );
      const fused = activation === 'relu' ? 'relu' : 'linear';
      parts = [0, 1, 2, 3].map((k) => {
        const ry = k >> 1;
        const rx = k & 1;
        const conv: tf.NamedTensorInfoMap = { x, filter: filters[k] };
        if (bias) conv.bias = bias;
        return s.run('FusedConv2D', conv, {
          strides: [1, 1],
          pad: [
            [0, 0],
            [1 - ry, ry],
            [1 - rx, rx],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined as unknown as string,
          activation: fused,
          leakyreluAlpha: 0,
        } as unknown as tf.NamedAttrMap);
      });
      convActivated = true;
    } else {
      parts = [
        s.run('Conv2DBackpropInput', { dy: x, filter }, {
          inputShape: [n, H, W, co],
          strides: 2,
          pad: 1,
          dataFormat: 'NHWC',
        } as unknown as tf.NamedAttrMap),
      ];
    }
    const out = backend.makeOutput([n, H, W, cs + co], 'float32');
    // makeOutput may grow the heap and detach older views: take them after it.
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    layOut(
      view(out),
      parts.map(view),
      skip ? view(skip) : undefined,
      bias && !convActivated ? view(bias) : undefined,
      n,
      H,
      W,
      cs,
      co,
      activation,
      convActivated,
    );
    return s.own(out);
  });
};
