import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  conv2dGeometry,
  planConv2dBackpropInput,
  stockConv2dBackpropInput,
  makeConv2dBackpropInputWasm,
  chooseConv2dBackpropInput,
  CACHE_AFTER_USES,
  derivedWeightStats,
} from '../../../src/backends/wasm-kernels/index.js';
import { onCpuAndWasm, randn, relL2, TOL } from './support.js';

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  dx: [number, number, number, number];
  k: [number, number];
  co: number;
  s: number;
  pad: Pad;
  plan: string;
}

const input = suite('Conv2DBackpropInput on wasm');

input.before(async () => {
  await initBackend('wasm');
});

// dx is the conv's input shape (the transposed conv's output); `plan` is the rewrite expected.
const cases: Case[] = [
  { dx: [1, 2, 2, 8], k: [4, 4], co: 16, s: 2, pad: 1, plan: 'phase-s2k4p1' },
  { dx: [2, 8, 8, 3], k: [4, 4], co: 8, s: 2, pad: 1, plan: 'phase-s2k4p1' },
  { dx: [1, 8, 6, 1], k: [4, 4], co: 5, s: 2, pad: 1, plan: 'phase-s2k4p1' },
  { dx: [2, 16, 16, 64], k: [4, 4], co: 32, s: 2, pad: 1, plan: 'phase-s2k4p1' },
  { dx: [1, 10, 10, 4], k: [4, 4], co: 6, s: 2, pad: 'same', plan: 'phase-s2k4p1' },
  {
    dx: [1, 8, 8, 3],
    k: [4, 4],
    co: 4,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    plan: 'phase-s2k4p1',
  },
  { dx: [2, 6, 6, 8], k: [4, 4], co: 1, s: 1, pad: 1, plan: 'flipped-s1' },
  { dx: [1, 7, 5, 3], k: [4, 4], co: 64, s: 1, pad: 1, plan: 'flipped-s1' },
  { dx: [1, 1, 1, 4], k: [1, 1], co: 3, s: 1, pad: 0, plan: 'flipped-s1' },
  { dx: [2, 8, 7, 3], k: [3, 2], co: 7, s: 1, pad: 'same', plan: 'flipped-s1' },
  { dx: [1, 6, 6, 2], k: [3, 3], co: 2, s: 1, pad: 'valid', plan: 'flipped-s1' },
  {
    dx: [1, 7, 6, 3],
    k: [4, 3],
    co: 5,
    s: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
    plan: 'flipped-s1',
  },
  // No conv rewrite: matmul + col2im only (odd sizes, other strides/kernels/pads).
  { dx: [1, 9, 7, 5], k: [4, 4], co: 6, s: 2, pad: 1, plan: 'matmul-col2im' },
  { dx: [1, 1, 1, 16], k: [4, 4], co: 4, s: 2, pad: 1, plan: 'matmul-col2im' },
  { dx: [2, 9, 9, 4], k: [3, 3], co: 5, s: 2, pad: 'same', plan: 'matmul-col2im' },
  { dx: [2, 9, 8, 6], k: [4, 4], co: 5, s: 2, pad: 'valid', plan: 'matmul-col2im' },
  {
    dx: [1, 8, 8, 3],
    k: [4, 4],
    co: 4,
    s: 2,
    pad: [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
    plan: 'matmul-col2im',
  },
  { dx: [1, 9, 9, 2], k: [3, 3], co: 3, s: 3, pad: 0, plan: 'matmul-col2im' },
  {
    dx: [2, 5, 7, 3],
    k: [2, 3],
    co: 4,
    s: 2,
    pad: [
      [0, 0],
      [0, 1],
      [1, 0],
      [0, 0],
    ],
    plan: 'matmul-col2im',
  },
];

for (const c of cases) {
  input(
    `matches cpu for dx [${c.dx}] k ${c.k.join('x')} from ${c.co} channels, stride ${c.s}, pad ${JSON.stringify(c.pad)} (${c.plan})`,
    async () => {
      const filterShape = [...c.k, c.dx[3], c.co];
      const info = conv2dGeometry(c.dx, filterShape, c.s, c.pad, 'NHWC', undefined, 'test');
      assert.is(planConv2dBackpropInput(info), c.plan);
      const dyShape = [c.dx[0], info.outHeight, info.outWidth, c.co];
      const dyv = randn(
        dyShape.reduce((a, b) => a * b),
        11,
      );
      const wv = randn(
        filterShape.reduce((a, b) => a * b),
        12,
      );
      // The registered kernel, then each form forced (the conv form twice with cacheAfterUses 1:
      // building the cached weights, then reading them).
      const forms = [
        makeConv2dBackpropInputWasm(stockConv2dBackpropInput()!, { force: 'matmul-col2im' }),
        makeConv2dBackpropInputWasm(stockConv2dBackpropInput()!, {
          force: 'conv',
          cacheAfterUses: 1,
        }),
      ];
      const names = [
        'registered kernel',
        'matmul-col2im',
        'conv (building the cache)',
        'conv (cached weights)',
      ];
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.dx };
      const r = await onCpuAndWasm(() => {
        const inputs = { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, filterShape) };
        const registered = tf.engine().runKernel('Conv2DBackpropInput', inputs, attrs) as tf.Tensor;
        if (tf.getBackend() !== 'wasm') return [registered];
        const run = (k: tf.KernelFunc) =>
          tf
            .engine()
            .makeTensorFromTensorInfo(k({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo);
        return [registered, run(forms[0]), run(forms[1]), run(forms[1])];
      });
      assert.equal(r.wasmShapes, [c.dx, c.dx, c.dx, c.dx]);
      for (const i of [0, 1, 2, 3]) {
        const err = relL2(r.wasm[i], r.cpu[0]);
        assert.ok(err <= TOL, `${names[i]}: relative L2 error ${err}`);
      }
    },
  );
}

input('tf.grad of conv2d wrt input and of conv2dTranspose wrt both inputs match cpu', async () => {
  const xv = randn(2 * 16 * 16 * 6, 21);
  const wv = randn(4 * 4 * 6 * 7, 22);
  const probeDown = randn(2 * 8 * 8 * 7, 23);
  const zv = randn(2 * 8 * 8 * 7, 24);
  const wtv = randn(4 * 4 * 5 * 7, 25);
  const probeUp = randn(2 * 16 * 16 * 5, 26);
  const r = await onCpuAndWasm(() => {
    const x = tf.tensor4d(xv, [2, 16, 16, 6]);
    const w = tf.tensor4d(wv, [4, 4, 6, 7]);
    const gx = tf.grad((xx: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, w, 2, 1), tf.tensor4d(probeDown, [2, 8, 8, 7]))),
    )(x);
    // conv2dTranspose k4 s2 p1 (PyTorch ConvTranspose2d(k=4, s=2, p=1)): [2,8,8,7] -> [2,16,16,5].
    // Sizes keep dy at >= 64 pixels, so the registered kernel takes the rewrite, not the stock one.
    const z = tf.tensor4d(zv, [2, 8, 8, 7]);
    const wt = tf.tensor4d(wtv, [4, 4, 5, 7]);
    const up = (zz: tf.Tensor4D, ww: tf.Tensor4D) =>
      tf.sum(
        tf.mul(
          tf.conv2dTranspose(zz, ww, [2, 16, 16, 5], 2, 1),
          tf.tensor4d(probeUp, [2, 16, 16, 5]),
        ),
      );
    const [gz, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      up(a as tf.Tensor4D, b as tf.Tensor4D),
    )([z, wt]);
    const y = tf.conv2dTranspose(z, wt, [2, 16, 16, 5], 2, 1);
    return [gx, gz, gw, y];
  });
  ['conv2d dx', 'conv2dTranspose dz', 'conv2dTranspose dW', 'conv2dTranspose forward'].forEach(
    (name, i) => {
      const err = relL2(r.wasm[i], r.cpu[i]);
      assert.ok(err <= TOL, `${name}: relative L2 error ${err}`);
    },
  );
});

input('the fast kernel and the stock kernel agree on the model shape', async () => {
  await initBackend('wasm');
  const stock = stockConv2dBackpropInput();
  assert.ok(stock, 'stock kernel kept');
  assert.is.not(stock!.kernelFunc, tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc);
  const dy = tf.tensor4d(randn(1 * 4 * 4 * 32, 31), [1, 4, 4, 32]);
  const w = tf.tensor4d(randn(4 * 4 * 16 * 32, 32), [4, 4, 16, 32]);
  const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', inputShape: [1, 8, 8, 16] };
  const fast = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs) as tf.Tensor;
  const backend = tf.backend();
  const info = stock!.kernelFunc({ inputs: { dy, filter: w }, backend, attrs }) as tf.TensorInfo;
  const ref = tf.engine().makeTensorFromTensorInfo(info);
  const err = relL2(fast.dataSync(), ref.dataSync());
  assert.ok(err <= TOL, `relative L2 error ${err}`);
  tf.dispose([dy, w, fast, ref]);
});

input('leaks no tensors or wasm buffers over 20 calls', async () => {
  await initBackend('wasm');
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const z = tf.tensor4d(randn(2 * 8 * 8 * 8, 41), [2, 8, 8, 8]);
  const w = tf.tensor4d(randn(4 * 4 * 3 * 8, 42), [4, 4, 3, 8]);
  const x = tf.tensor4d(randn(1 * 10 * 10 * 3, 43), [1, 10, 10, 3]);
  const wd = tf.tensor4d(randn(4 * 4 * 3 * 8, 44), [4, 4, 3, 8]);
  const step = () =>
    tf
      .tidy(() => {
        const [a, b] = tf.grads((zz: tf.Tensor, ww: tf.Tensor) =>
          tf.sum(
            tf.square(
              tf.conv2dTranspose(zz as tf.Tensor4D, ww as tf.Tensor4D, [2, 16, 16, 3], 2, 1),
            ),
          ),
        )([z, w]);
        const c = tf.grad((xx: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, wd, 1, 1))),
        )(x);
        return [a, b, c];
      })
      .forEach((t) => t.dispose());
  const before = backend.numDataIds();
  // From the CACHE_AFTER_USES-th call on, w's re-laid-out copies are cached (once).
  for (let i = 0; i < CACHE_AFTER_USES; i++) step();
  const tensors = tf.memory().numTensors;
  const ids = backend.numDataIds();
  for (let i = 0; i < 20; i++) step();
  assert.is(tf.memory().numTensors, tensors);
  assert.is(backend.numDataIds(), ids);
  tf.dispose([z, w, x, wd]);
  // Disposing the weights frees what was cached for them.
  assert.is(backend.numDataIds(), before - 4);
});

input(
  'caches re-laid-out weights only for a weight used often, and frees them with it',
  async () => {
    await initBackend('wasm');
    const backend = tf.backend() as unknown as Parameters<typeof derivedWeightStats>[0];
    const dy = tf.tensor4d(randn(1 * 16 * 16 * 8, 51), [1, 16, 16, 8]);
    const w = tf.tensor4d(randn(4 * 4 * 4 * 8, 52), [4, 4, 4, 8]);
    const base = derivedWeightStats(backend).elements;
    const call = () =>
      tf.tidy(() => tf.sum(tf.conv2dTranspose(dy, w, [1, 32, 32, 4], 2, 1)).dataSync()[0]);
    const first = call();
    for (let i = 1; i < CACHE_AFTER_USES - 1; i++) call();
    assert.is(derivedWeightStats(backend).elements, base, 'nothing cached before the threshold');
    const cachedRun = (call(), call());
    assert.is(
      derivedWeightStats(backend).elements,
      base + 4 * 4 * 4 * 8,
      'four 2x2 phase filters cached',
    );
    assert.ok(
      Math.abs(cachedRun - first) <= 1e-4 * Math.abs(first),
      `same result from cached weights: ${cachedRun} vs ${first}`,
    );
    w.dispose();
    assert.is(derivedWeightStats(backend).elements, base);
    dy.dispose();
  },
);

input(
  'chooses matmul + col2im for weight-heavy calls and the cached phase conv for big images',
  async () => {
    const small = conv2dGeometry([1, 16, 16, 512], [4, 4, 512, 1024], 2, 1, 'NHWC', undefined, 'x');
    assert.is(chooseConv2dBackpropInput(small, false), 'matmul-col2im');
    const big = conv2dGeometry([1, 128, 128, 64], [4, 4, 64, 256], 2, 1, 'NHWC', undefined, 'x');
    assert.is(chooseConv2dBackpropInput(big, false), 'phase-s2k4p1');
    assert.is(chooseConv2dBackpropInput(big, true), 'phase-s2k4p1');
  },
);

input.run();
