import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { conv2dGeometry } from '../../../src/backends/wasm-kernels/index.js';
import { onCpuAndWasm, randn, relL2, TOL } from './support.js';

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  s: number;
  pad: Pad;
}

const filterGrad = suite('Conv2DBackpropFilter on wasm');

filterGrad.before(async () => {
  await initBackend('wasm');
});

const cases: Case[] = [
  { x: [1, 8, 8, 3], k: [4, 4], co: 8, s: 2, pad: 1 },
  { x: [2, 8, 8, 3], k: [4, 4], co: 8, s: 2, pad: 1 },
  { x: [1, 9, 7, 5], k: [4, 4], co: 6, s: 2, pad: 1 },
  { x: [2, 2, 2, 64], k: [4, 4], co: 16, s: 2, pad: 1 },
  { x: [1, 1, 1, 16], k: [4, 4], co: 4, s: 2, pad: 1 },
  { x: [2, 6, 6, 8], k: [4, 4], co: 1, s: 1, pad: 1 },
  { x: [1, 7, 5, 1], k: [4, 4], co: 3, s: 1, pad: 1 },
  { x: [2, 9, 9, 4], k: [3, 3], co: 5, s: 2, pad: 'same' },
  { x: [1, 10, 10, 4], k: [4, 4], co: 5, s: 2, pad: 'same' },
  { x: [1, 8, 7, 3], k: [3, 2], co: 7, s: 1, pad: 'same' },
  { x: [2, 9, 8, 6], k: [4, 4], co: 5, s: 2, pad: 'valid' },
  { x: [1, 5, 5, 2], k: [3, 3], co: 2, s: 1, pad: 0 },
  {
    x: [1, 8, 8, 3],
    k: [4, 4],
    co: 4,
    s: 2,
    pad: [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [1, 16, 16, 32], k: [4, 4], co: 64, s: 2, pad: 1 },
];

for (const c of cases) {
  const name = `matches cpu for x [${c.x}] k ${c.k.join('x')} -> ${c.co}, stride ${c.s}, pad ${JSON.stringify(c.pad)}`;
  filterGrad(name, async () => {
    const info = conv2dGeometry(c.x, [...c.k, c.x[3], c.co], c.s, c.pad, 'NHWC', undefined, 'test');
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.co];
    const xv = randn(
      c.x.reduce((a, b) => a * b),
      1,
    );
    const dyv = randn(
      dyShape.reduce((a, b) => a * b),
      2,
    );
    const r = await onCpuAndWasm(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor4d(xv, c.x), dy: tf.tensor(dyv, dyShape) },
            { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: [...c.k, c.x[3], c.co] },
          ) as tf.Tensor,
    );
    assert.equal(r.wasmShapes[0], [...c.k, c.x[3], c.co]);
    const err = relL2(r.wasm[0], r.cpu[0]);
    assert.ok(err <= TOL, `relative L2 error ${err}`);
  });
}

filterGrad('tf.grad of conv2d wrt filter matches cpu (k4 s2 p1 and k4 s1 p1)', async () => {
  const xv = randn(2 * 10 * 10 * 6, 3);
  const wv = randn(4 * 4 * 6 * 7, 4);
  for (const [s, pad] of [
    [2, 1],
    [1, 1],
  ] as const) {
    const r = await onCpuAndWasm(() => {
      const x = tf.tensor4d(xv, [2, 10, 10, 6]);
      const w = tf.tensor4d(wv, [4, 4, 6, 7]);
      const probe = tf.tensor(randn(2 * (s === 2 ? 25 : 81) * 7, 5));
      const f = (ww: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.conv2d(x, ww as tf.Tensor4D, s, pad),
            tf.reshape(probe, [2, s === 2 ? 5 : 9, s === 2 ? 5 : 9, 7]),
          ),
        );
      return tf.grad(f)(w);
    });
    const err = relL2(r.wasm[0], r.cpu[0]);
    assert.ok(err <= TOL, `stride ${s}: relative L2 error ${err}`);
  }
});

filterGrad(
  'sums a long reduction in blocks: 2 images of 96x80 (4018 positions per tap) within 7.5e-7 of cpu',
  async () => {
    // cpu sums in float64 (one rounding per output), so its result is float64's to ~6e-8. One
    // XNNPACK matmul over all 4018 positions is 1.1e-6 off it; blocks of <= DW_BLOCK_K rows
    // (here 24 rows of 41: 4 full blocks across the image boundary and a short one) 5e-7.
    const x: [number, number, number, number] = [2, 96, 80, 3];
    const dyShape = [2, 48, 40, 16];
    const xv = randn(
      x.reduce((a, b) => a * b),
      6,
    );
    const dyv = randn(
      dyShape.reduce((a, b) => a * b),
      7,
    );
    const r = await onCpuAndWasm(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor4d(xv, x), dy: tf.tensor(dyv, dyShape) },
            { strides: 2, pad: 1, dataFormat: 'NHWC', filterShape: [4, 4, 3, 16] },
          ) as tf.Tensor,
    );
    const err = relL2(r.wasm[0], r.cpu[0]);
    console.log(`# dW over 4018 positions: ${err.toExponential(2)} from cpu's float64 sums`);
    assert.ok(err <= 7.5e-7, `relative L2 error ${err}`);
  },
);

filterGrad('refuses NCHW and dilations other than 1 with a clear error', async () => {
  await initBackend('wasm');
  const x = tf.zeros([1, 3, 8, 8]);
  const dy = tf.zeros([1, 4, 4, 4]);
  try {
    tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: 2, pad: 1, dataFormat: 'NCHW', filterShape: [4, 4, 3, 4] },
    );
    assert.unreachable('NCHW accepted');
  } catch (e) {
    assert.match((e as Error).message, /NHWC/);
  }
  try {
    conv2dGeometry(
      [1, 8, 8, 3],
      [4, 4, 3, 4],
      1,
      1,
      'NHWC',
      undefined,
      'Conv2DBackpropFilter',
      [2, 2],
    );
    assert.unreachable('dilation 2 accepted');
  } catch (e) {
    assert.match((e as Error).message, /dilations 1 only/);
  }
  tf.dispose([x, dy]);
});

filterGrad('leaks no tensors or wasm buffers over 20 calls', async () => {
  await initBackend('wasm');
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const x = tf.tensor4d(randn(2 * 8 * 8 * 4, 6), [2, 8, 8, 4]);
  const w = tf.tensor4d(randn(4 * 4 * 4 * 5, 7), [4, 4, 4, 5]);
  const step = () =>
    tf
      .tidy(() =>
        tf.grad((ww: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, ww as tf.Tensor4D, 2, 1))))(w),
      )
      .dispose();
  step();
  const tensors = tf.memory().numTensors;
  const ids = backend.numDataIds();
  for (let i = 0; i < 20; i++) step();
  assert.is(tf.memory().numTensors, tensors);
  assert.is(backend.numDataIds(), ids);
  tf.dispose([x, w]);
});

filterGrad.run();
