import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  conv2dGeometry,
  chooseConv2d,
  makeConv2dWasm,
  stockConv2d,
} from '../../../src/backends/wasm-kernels/index.js';
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

const conv = suite('Conv2D on wasm');

conv.before(async () => {
  await initBackend('wasm');
});

const cases: Case[] = [
  { x: [1, 16, 16, 8], k: [4, 4], co: 16, s: 2, pad: 1 },
  { x: [2, 8, 8, 32], k: [4, 4], co: 64, s: 2, pad: 1 },
  { x: [1, 2, 2, 16], k: [4, 4], co: 8, s: 2, pad: 1 },
  { x: [1, 9, 7, 3], k: [4, 4], co: 5, s: 1, pad: 1 },
  { x: [2, 9, 9, 4], k: [3, 3], co: 5, s: 2, pad: 'same' },
  { x: [1, 8, 7, 6], k: [4, 4], co: 5, s: 2, pad: 'valid' },
  {
    x: [1, 8, 8, 3],
    k: [4, 3],
    co: 4,
    s: 2,
    pad: [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [1, 5, 5, 7], k: [1, 1], co: 3, s: 1, pad: 0 },
];

for (const c of cases) {
  conv(
    `matches cpu for x [${c.x}] k ${c.k.join('x')} to ${c.co} channels, stride ${c.s}, pad ${JSON.stringify(c.pad)} (registered, im2col-matmul, stock)`,
    async () => {
      const filterShape = [...c.k, c.x[3], c.co];
      const xv = randn(
        c.x.reduce((a, b) => a * b),
        61,
      );
      const wv = randn(
        filterShape.reduce((a, b) => a * b),
        62,
      );
      const forms = [
        makeConv2dWasm(stockConv2d()!, { force: 'im2col-matmul' }),
        makeConv2dWasm(stockConv2d()!, { force: 'stock' }),
      ];
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
      const r = await onCpuAndWasm(() => {
        const inputs = { x: tf.tensor(xv, c.x), filter: tf.tensor(wv, filterShape) };
        const registered = tf.engine().runKernel('Conv2D', inputs, attrs) as tf.Tensor;
        if (tf.getBackend() !== 'wasm') return [registered];
        // Twice each: the second call meets XNNPACK's packed-weight cache.
        const run = (k: tf.KernelFunc) =>
          tf
            .engine()
            .makeTensorFromTensorInfo(k({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo);
        return [registered, run(forms[0]), run(forms[0]), run(forms[1])];
      });
      const names = [
        'registered',
        'im2col-matmul',
        'im2col-matmul (packed weights cached)',
        'stock',
      ];
      assert.equal(r.wasmShapes.length, 4);
      r.wasmShapes.forEach((s) => assert.equal(s, r.shapes[0]));
      for (const i of [0, 1, 2, 3]) {
        const err = relL2(r.wasm[i], r.cpu[0]);
        assert.ok(err <= TOL, `${names[i]}: relative L2 error ${err}`);
      }
    },
  );
}

conv(
  'runs weight-heavy small images through im2col-matmul unless the weights are already packed',
  () => {
    const small = conv2dGeometry([1, 8, 8, 512], [4, 4, 512, 1024], 2, 1, 'NHWC', undefined, 'x');
    assert.is(chooseConv2d(small, false), 'im2col-matmul');
    assert.is(chooseConv2d(small, true), 'stock');
    const big = conv2dGeometry([1, 256, 256, 3], [4, 4, 3, 64], 2, 1, 'NHWC', undefined, 'x');
    assert.is(chooseConv2d(big, false), 'stock');
  },
);

conv('gradients through conv2d match cpu and leak nothing over 10 steps', async () => {
  const xv = randn(2 * 8 * 8 * 16, 71);
  const wv = randn(4 * 4 * 16 * 32, 72);
  const r = await onCpuAndWasm(() => {
    const x = tf.tensor4d(xv, [2, 8, 8, 16]);
    const w = tf.tensor4d(wv, [4, 4, 16, 32]);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1))),
    )([x, w]);
    return [gx, gw];
  });
  for (const i of [0, 1])
    assert.ok(relL2(r.wasm[i], r.cpu[i]) <= TOL, `grad ${i}: ${relL2(r.wasm[i], r.cpu[i])}`);
  await initBackend('wasm');
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const x = tf.tensor4d(xv, [2, 8, 8, 16]);
  const step = () =>
    tf
      .tidy(() => {
        const w = tf.tensor4d(wv, [4, 4, 16, 32]); // fresh weights each step, as in training
        return tf.sum(tf.conv2d(x, w, 2, 1));
      })
      .dispose();
  step();
  const tensors = tf.memory().numTensors;
  const ids = backend.numDataIds();
  for (let i = 0; i < 10; i++) step();
  assert.is(tf.memory().numTensors, tensors);
  assert.is(backend.numDataIds(), ids);
  x.dispose();
});

conv.run();
