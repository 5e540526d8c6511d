import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { UP_CONV_KERNEL, type UpConvKernelAttrs } from '../../../src/core/fused-kernels.js';
import {
  chooseConv2dBackpropInput,
  conv2dGeometry,
} from '../../../src/backends/wasm-kernels/index.js';
import { randn, relL2, TOL } from './support.js';

interface Case {
  x: [number, number, number, number];
  co: number;
  skip: number;
  bias: boolean;
  activation: UpConvKernelAttrs['activation'];
}

// Both wasm forms: the sub-pixel phase convolutions (FusedConv2D with bias and ReLU) on larger
// images, matmul + col2im for weight-heavy layers on small ones.
const CASES: Case[] = [
  { x: [1, 16, 16, 8], co: 4, skip: 4, bias: true, activation: 'relu' },
  { x: [2, 8, 12, 6], co: 3, skip: 0, bias: true, activation: 'tanh' },
  { x: [1, 2, 2, 256], co: 128, skip: 128, bias: true, activation: 'relu' },
  { x: [1, 16, 16, 8], co: 5, skip: 3, bias: false, activation: 'linear' },
  { x: [1, 1, 1, 64], co: 64, skip: 64, bias: false, activation: 'relu' },
];

/** The kernel's definition as tfjs ops (on cpu). */
function reference(
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  b: tf.Tensor1D | null,
  s: tf.Tensor4D | null,
  act: string,
) {
  const [n, h, w] = x.shape;
  let y: tf.Tensor4D = tf.conv2dTranspose(x, f, [n, 2 * h, 2 * w, f.shape[2]], 2, 1);
  if (b) y = tf.add(y, b);
  if (s) y = tf.concat([s, y], 3);
  return act === 'relu' ? tf.relu(y) : act === 'tanh' ? tf.tanh(y) : y;
}

const test = suite(
  'Pix2PixUpConv (transposed conv, bias, skip concat, activation) on cpu and wasm',
);

for (const c of CASES) {
  const [n, h, w, ci] = c.x;
  test(`matches the tfjs op chain for x [${c.x}], ${c.co} out, skip ${c.skip}, ${c.bias ? 'bias, ' : ''}${c.activation}`, async () => {
    const data = {
      x: randn(n * h * w * ci, 1),
      f: randn(16 * c.co * ci, 2).map((v) => v * 0.1),
      b: randn(c.co, 3),
      s: randn(n * 4 * h * w * c.skip, 4),
    };
    const make = () => ({
      x: tf.tensor4d(data.x, c.x),
      f: tf.tensor4d(data.f, [4, 4, c.co, ci]),
      b: c.bias ? tf.tensor1d(data.b) : null,
      s: c.skip ? tf.tensor4d(data.s, [n, 2 * h, 2 * w, c.skip]) : null,
    });
    const kernel = (): Float32Array =>
      tf.tidy(() => {
        const t = make();
        const inputs: tf.NamedTensorMap = { x: t.x, filter: t.f };
        if (t.b) inputs.bias = t.b;
        if (t.s) inputs.skip = t.s;
        const y = tf
          .engine()
          .runKernel(UP_CONV_KERNEL, inputs, { activation: c.activation }) as tf.Tensor;
        assert.equal(y.shape, [n, 2 * h, 2 * w, c.skip + c.co]);
        return y.dataSync() as Float32Array;
      });
    await initBackend('cpu');
    const want = tf.tidy(() => {
      const t = make();
      return reference(t.x, t.f, t.b, t.s, c.activation).dataSync() as Float32Array;
    });
    const cpu = kernel();
    await initBackend('wasm');
    const wasm = kernel();
    const e1 = relL2(cpu, want);
    const e2 = relL2(wasm, want);
    assert.ok(e1 < TOL, `cpu kernel rel L2 ${e1}`);
    assert.ok(e2 < TOL, `wasm kernel rel L2 ${e2}`);
  });
}

test('covers both wasm forms', () => {
  const plans = new Set(
    CASES.map((c) => {
      const [n, h, w, ci] = c.x;
      const info = conv2dGeometry(
        [n, 2 * h, 2 * w, c.co],
        [4, 4, c.co, ci],
        2,
        1,
        'NHWC',
        undefined,
        'x',
      );
      return chooseConv2dBackpropInput(info, true);
    }),
  );
  assert.ok(plans.has('phase-s2k4p1') && plans.has('matmul-col2im'), [...plans].join(', '));
});

test.run();
