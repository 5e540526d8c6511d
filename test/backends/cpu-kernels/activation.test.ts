import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  ACT_GRAD_KERNEL,
  CONCAT_ACT_KERNEL,
  DROPOUT_KERNEL,
} from '../../../src/core/fused-kernels.js';

const test = suite('activation kernels on cpu');

test.before(async () => {
  await initBackend('cpu');
});

/** Values of both signs with exact zeros (where the ReLU mask switches). */
const input = (shape: number[], seed: number) =>
  tf.tidy(() => {
    const n = tf.randomNormal(shape, 0, 1, 'float32', seed);
    return tf.sub(n, tf.clipByValue(n, -0.3, 0.3)) as tf.Tensor4D;
  });

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

test('relu(concat) and leaky(concat) equal the tfjs op chains bitwise', async () => {
  const a = input([2, 3, 5, 3], 1);
  const b = input([2, 3, 5, 4], 2);
  for (const slope of [0, 0.2]) {
    const got = run(CONCAT_ACT_KERNEL, { a, b }, { slope });
    const cat = tf.concat([a, b], 3);
    const want = slope === 0 ? tf.relu(cat) : tf.leakyRelu(cat, slope);
    assert.equal(got.shape, [2, 3, 5, 7]);
    assert.equal(Array.from(await got.data()), Array.from(await want.data()), `slope ${slope}`);
    tf.dispose([got, cat, want]);
  }
  tf.dispose([a, b]);
});

test('an activation gradient over a channel range equals dy * step(y, slope) or (1 - y^2) * dy sliced', async () => {
  const y = input([2, 3, 5, 7], 3);
  const dy = tf.randomNormal([2, 3, 5, 7], 0, 1, 'float32', 4);
  const cases = [
    { kind: 'leaky', slope: 0, begin: 0, size: 7 },
    { kind: 'leaky', slope: 0.2, begin: 0, size: 3 },
    { kind: 'leaky', slope: 0, begin: 3, size: 4 },
    { kind: 'tanh', slope: 0, begin: 2, size: 5 },
  ] as const;
  for (const c of cases) {
    const got = run(ACT_GRAD_KERNEL, { dy, y }, c);
    const full =
      c.kind === 'tanh'
        ? tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy)
        : tf.mul(dy, tf.step(y, c.slope));
    const want = tf.slice(full, [0, 0, 0, c.begin], [-1, -1, -1, c.size]);
    assert.equal(got.shape, want.shape);
    assert.equal(Array.from(await got.data()), Array.from(await want.data()), JSON.stringify(c));
    tf.dispose([got, full, want]);
  }
  tf.dispose([y, dy]);
});

test('dropout from uniform draws equals x * (step(u - 0.5) * 2) bitwise', async () => {
  const x = input([2, 3, 5, 7], 5);
  const u = tf.randomUniform([2, 3, 5, 7], 0, 1, 'float32', 6);
  const got = run(DROPOUT_KERNEL, { x, u }, { threshold: 0.5, scale: 2 });
  const want = tf.mul(x, tf.mul(tf.step(tf.sub(u, 0.5)), 2));
  assert.equal(Array.from(await got.data()), Array.from(await want.data()));
  tf.dispose([x, u, got, want]);
});

test.run();
