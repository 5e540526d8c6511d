import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  conv2dGeometry,
  makeConv2dBackpropInputWasm,
  stockConv2dBackpropInput,
  xnnpackBackpropInputCost,
} from '../../../src/backends/wasm-kernels/index.js';
import { wasmSimd } from '../../../src/backends/wasm-simd/index.js';
import {
  convTransposeDirectCost,
  convTransposeDirectSimd,
} from '../../../src/backends/wasm-simd/conv-transpose.js';
import { randn, relL2 } from '../wasm-kernels/support.js';

const test = suite('Conv2DBackpropInput on the own wasm SIMD module (direct, weights as they are)');

interface Case {
  dx: [number, number, number, number];
  k: [number, number];
  co: number;
  s: number;
  pad: number | 'same' | 'valid';
}
// dx is the conv's input (the transposed conv's output). Odd dy pixel counts (a pixel pair and a
// single pixel), taps that fall outside the image on every side, strides 1 and 2, batch > 1, a
// 1x1 dy, and enough work to be split between threads where helpers run.
const cases: Case[] = [
  { dx: [2, 10, 6, 12], k: [4, 4], co: 8, s: 2, pad: 1 },
  { dx: [1, 7, 7, 8], k: [3, 3], co: 12, s: 1, pad: 1 },
  { dx: [3, 5, 6, 4], k: [3, 3], co: 4, s: 1, pad: 'valid' },
  { dx: [1, 2, 2, 64], k: [4, 4], co: 32, s: 2, pad: 1 },
  { dx: [1, 9, 9, 16], k: [4, 4], co: 20, s: 2, pad: 'same' },
  { dx: [1, 16, 16, 64], k: [4, 4], co: 128, s: 2, pad: 1 },
];

test.before(async () => {
  await initBackend('wasm');
  assert.ok(wasmSimd(tf.backend() as unknown as BackendWasm), 'the module is loaded');
});

function cpuDx(c: Case, dyv: Float32Array, dyShape: number[], wv: Float32Array): Float32Array {
  const dy = tf.tensor4d(dyv, dyShape as [number, number, number, number]);
  const w = tf.tensor4d(wv, [...c.k, c.dx[3], c.co]);
  const dx = tf.conv2dTranspose(dy, w, c.dx, c.s, c.pad as 'same');
  const v = dx.dataSync() as Float32Array;
  tf.dispose([dy, w, dx]);
  return v;
}

for (const c of cases) {
  test(`matches cpu for dx [${c.dx}] k ${c.k.join('x')} from ${c.co} channels, stride ${c.s}, pad ${c.pad}`, async () => {
    const wShape = [...c.k, c.dx[3], c.co];
    const info = conv2dGeometry(c.dx, wShape, c.s, c.pad, 'NHWC', undefined, 'test');
    const dyShape = [c.dx[0], info.outHeight, info.outWidth, c.co];
    const dyv = randn(
      dyShape.reduce((a, b) => a * b),
      5,
    );
    const wv = randn(
      wShape.reduce((a, b) => a * b),
      6,
    );
    await initBackend('cpu');
    const cpu = cpuDx(c, dyv, dyShape, wv);
    await initBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const dy = tf.tensor4d(dyv, dyShape as [number, number, number, number]);
    const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
    const out = convTransposeDirectSimd(backend, dy, w, info);
    assert.ok(out, 'the direct kernel ran');
    const dx = tf.engine().makeTensorFromTensorInfo(out);
    assert.equal(dx.shape, c.dx);
    const v = dx.dataSync() as Float32Array;
    // Through the kernel function too, forced to the direct form.
    const kernel = makeConv2dBackpropInputWasm(stockConv2dBackpropInput()!, {
      force: 'simd-direct',
    });
    const viaKernel = kernel({
      inputs: { dy, filter: w },
      backend,
      attrs: { inputShape: c.dx, strides: c.s, pad: c.pad, dataFormat: 'NHWC' },
    } as never) as tf.TensorInfo;
    const k = tf.engine().makeTensorFromTensorInfo(viaKernel);
    const kv = k.dataSync() as Float32Array;
    tf.dispose([dy, w, dx, k]);
    assert.ok(relL2(v, cpu) < 1e-6, `relL2 ${relL2(v, cpu)}`);
    assert.equal(kv, v);
  });
}

test('is not offered for channel counts that are not multiples of 4', () => {
  const info = conv2dGeometry([1, 8, 8, 3], [4, 4, 3, 16], 2, 1, 'NHWC', undefined, 't');
  assert.is(convTransposeDirectCost(info), Infinity);
  const backend = tf.backend() as unknown as BackendWasm;
  const dy = tf.zeros([1, 4, 4, 16]);
  const w = tf.zeros([4, 4, 3, 16]);
  assert.is(convTransposeDirectSimd(backend, dy, w, info), undefined);
  tf.dispose([dy, w]);
});

test('is estimated cheaper than XNNPACK for new weights with long dot products only', () => {
  const geo = (dx: number[], w: number[]) => conv2dGeometry(dx, w, 2, 1, 'NHWC', undefined, 't');
  const deep = geo([1, 16, 16, 512], [4, 4, 512, 1024]);
  const shallow = geo([1, 256, 256, 4], [4, 4, 4, 8]);
  assert.ok(convTransposeDirectCost(deep) < xnnpackBackpropInputCost(deep, false).ns);
  assert.ok(convTransposeDirectCost(shallow) > xnnpackBackpropInputCost(shallow, false).ns);
});

test.run();
