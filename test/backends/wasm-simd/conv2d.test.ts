import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { chooseConv2d, conv2dGeometry } from '../../../src/backends/wasm-kernels/index.js';
import { wasmSimd } from '../../../src/backends/wasm-simd/index.js';
import { conv2dDirectSimd } from '../../../src/backends/wasm-simd/conv2d.js';
import { randn, relL2 } from '../wasm-kernels/support.js';

const test = suite('Conv2D on the own wasm SIMD module (direct, weights as they are)');

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  s: number;
  pad: number | 'same' | 'valid';
}
// Output channels that hit the 8-, 4- and 1-wide column blocks, pixel counts with and without a
// partial tile, one pixel tile (weights read in place) and more (packed), padding on every side,
// strides 1 and 2, batch > 1, and enough work to be split between threads where helpers run.
const cases: Case[] = [
  { x: [2, 9, 7, 5], k: [4, 4], co: 13, s: 2, pad: 1 },
  { x: [1, 8, 8, 8], k: [4, 4], co: 12, s: 1, pad: 1 },
  { x: [3, 5, 6, 4], k: [3, 3], co: 3, s: 1, pad: 'valid' },
  { x: [1, 2, 2, 64], k: [4, 4], co: 40, s: 2, pad: 1 },
  { x: [1, 4, 4, 32], k: [4, 4], co: 20, s: 2, pad: 1 },
  { x: [1, 16, 16, 128], k: [4, 4], co: 64, s: 2, pad: 1 },
];

function cpuConv(c: Case, xv: Float32Array, wv: Float32Array): Float32Array {
  const x = tf.tensor4d(xv, c.x);
  const w = tf.tensor4d(wv, [...c.k, c.x[3], c.co]);
  const y = tf.conv2d(x, w, c.s, c.pad as 'same');
  const v = y.dataSync() as Float32Array;
  tf.dispose([x, w, y]);
  return v;
}

test.before(async () => {
  await initBackend('wasm');
  assert.ok(wasmSimd(tf.backend() as unknown as BackendWasm), 'the module is loaded');
});

for (const c of cases) {
  test(`matches cpu for x [${c.x}] k ${c.k.join('x')} -> ${c.co}, stride ${c.s}, pad ${c.pad}`, async () => {
    const wShape = [...c.k, c.x[3], c.co];
    const xv = randn(
      c.x.reduce((a, b) => a * b),
      3,
    );
    const wv = randn(
      wShape.reduce((a, b) => a * b),
      4,
    );
    await initBackend('cpu');
    const cpu = cpuConv(c, xv, wv);
    await initBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
    const info = conv2dGeometry(c.x, wShape, c.s, c.pad, 'NHWC', undefined, 'test');
    const out = conv2dDirectSimd(backend, x, w, info)!;
    assert.ok(out, 'the direct kernel ran');
    const y = tf.engine().makeTensorFromTensorInfo(out);
    assert.equal(y.shape, [c.x[0], info.outHeight, info.outWidth, c.co]);
    const v = y.dataSync() as Float32Array;
    tf.dispose([x, w, y]);
    assert.ok(relL2(v, cpu) < 1e-6, `relL2 ${relL2(v, cpu)}`);
  });
}

test('is chosen for new weights with many input channels, not for packed weights or 3-channel images', () => {
  const info = (x: number[], w: number[]) => conv2dGeometry(x, w, 2, 1, 'NHWC', undefined, 't');
  assert.is(chooseConv2d(info([1, 8, 8, 512], [4, 4, 512, 1024]), false, true), 'simd-direct');
  assert.is(chooseConv2d(info([1, 2, 2, 512], [4, 4, 512, 512]), false, true), 'simd-direct');
  assert.is.not(chooseConv2d(info([1, 8, 8, 512], [4, 4, 512, 1024]), true, true), 'simd-direct');
  assert.is(chooseConv2d(info([1, 128, 128, 64], [4, 4, 64, 128]), false, true), 'simd-direct');
  assert.is.not(chooseConv2d(info([1, 256, 256, 3], [4, 4, 3, 64]), false, true), 'simd-direct');
  assert.is.not(chooseConv2d(info([1, 8, 8, 512], [4, 4, 512, 1024]), false, false), 'simd-direct');
});

test.run();
