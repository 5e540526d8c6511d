/**
 * `Conv2DBackpropFilter` for the wasm backend, which tfjs-backend-wasm 4.22 lacks (so no conv net
 * trains on wasm without it). Built from the backend's own WASM kernels: one transpose + pad of
 * x, then per filter tap one strided slice and one XNNPACK matmul.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import { withWasmScope } from './compose.js';

type Inputs = { x: tf.TensorInfo; dy: tf.TensorInfo };

/**
 * Validates the attrs the way tfjs passes them (`strides`, `pad` as number / 'same' / 'valid' /
 * explicit, `dataFormat`, `dimRoundingMode`) and returns the conv geometry. Throws a clear error
 * for what the wasm path does not implement (NCHW, dilations other than 1).
 *
 * @example
 * ```ts
 * const info = conv2dGeometry([1, 8, 8, 3], [4, 4, 3, 16], 2, 1, 'NHWC', undefined, 'Conv2DBackpropFilter');
 * info.outHeight; // 4
 * ```
 */
export function conv2dGeometry(
  xShape: number[],
  filterShape: number[],
  strides: [number, number] | number,
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  dataFormat: string | undefined,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  kernelName: string,
  dilations: unknown = 1,
): tf.backend_util.Conv2DInfo {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} on wasm supports dataFormat "NHWC" only, got "${dataFormat}". Transpose NCHW tensors to NHWC first.`);
  }
  const d = typeof dilations === 'number' ? [dilations, dilations] : (dilations as number[]);
  if (!Array.isArray(d) || d.some((v) => v !== 1)) {
    throw new Error(`${kernelName} on wasm supports dilations 1 only, got ${JSON.stringify(dilations)}.`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernelName} expects a 4-D NHWC input and a 4-D [kh, kw, in, out] filter, got shapes [${xShape}] and [${filterShape}].`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
}

/**
 * The gradient of `conv2d(x, W)` with respect to `W`:
 * `dW[kh,kw,ci,co] = sum_{b,oy,ox} xpad[b, oy*sh+kh, ox*sw+kw, ci] * dy[b,oy,ox,co]`.
 *
 * x is transposed once to `[ci, b, h, w]` and zero-padded with the conv's own pads (PyTorch
 * `padding=1` arrives here as tfjs `pad: 1`, i.e. explicit pads of 1 on every side, which
 * `computeConv2DInfo` reports in `padInfo`). For each tap (kh, kw) a strided slice of it is the
 * `[ci, b*oh*ow]` operand of a plain matmul with `dy` as `[b*oh*ow, co]` (no transposeA: the wasm
 * BatchMatMul is an order of magnitude slower with it). XNNPACK packs `dy` once and reuses it for
 * every tap, since its operator cache is keyed by the right operand's id.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc });
 * ```
 */
export function conv2dBackpropFilterWasm(args: {
  inputs: Inputs;
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropFilterAttrs & { dilations?: unknown };
}): tf.TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = conv2dGeometry(x.shape, filterShape, strides, pad, dataFormat, dimRoundingMode, 'Conv2DBackpropFilter', attrs.dilations ?? 1);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow,
    filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const expected = [n, oh, ow, co];
  if (dy.shape.length !== 4 || dy.shape.some((v, i) => v !== expected[i])) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${expected}] for x [${x.shape}] and filter [${filterShape}].`);
  }
  const p = n * oh * ow;
  return withWasmScope(backend, (s) => {
    if (p === 0 || ci === 0 || co === 0) {
      return s.run('Fill', {}, { shape: [kh, kw, ci, co], value: 0, dtype: 'float32' });
    }
    // Pad only as far as some tap reads: rows past (oh-1)*sh+kh never reach the output.
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    const bottom = Math.max(0, needH - padInfo.top - h);
    const right = Math.max(0, needW - padInfo.left - w);
    const xT = s.run('Transpose', { x }, { perm: [3, 0, 1, 2] });
    const xP = padInfo.top || bottom || padInfo.left || right
      ? s.run('PadV2', { x: xT }, { paddings: [[0, 0], [0, 0], [padInfo.top, bottom], [padInfo.left, right]], constantValue: 0 })
      : xT;
    const dy2 = s.run('Reshape', { x: dy }, { shape: [p, co] });
    const taps: tf.TensorInfo[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const cols = s.run('StridedSlice', { x: xP }, {
          begin: [0, 0, i, j], end: [ci, n, i + needH - kh + 1, j + needW - kw + 1], strides: [1, 1, sh, sw],
          beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
        });
        const a = s.run('Reshape', { x: cols }, { shape: [ci, p] });
        const prod = s.run('BatchMatMul', { a, b: dy2 }, { transposeA: false, transposeB: false });
        s.free(a);
        s.free(cols);
        taps.push(s.run('Reshape', { x: prod }, { shape: [1, ci, co] }));
      }
    }
    const stacked = taps.length === 1 ? taps[0] : s.run('Concat', taps, { axis: 0 });
    return s.run('Reshape', { x: stacked }, { shape: [kh, kw, ci, co] });
  });
}
