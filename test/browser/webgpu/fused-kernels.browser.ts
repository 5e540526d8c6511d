import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../../src/core/fused-kernels.js';

/** Three Adam steps through the fused kernel on the active backend; returns [param, m, v] data. */
async function threeSteps(fused: boolean): Promise<Float32Array[]> {
  const shape = [4, 4, 8, 33];
  let p = tf.randomNormal(shape, 0, 0.02, 'float32', 1);
  let m = tf.zeros(shape);
  let v = tf.zeros(shape);
  for (let t = 1; t <= 3; t++) {
    const g = tf.randomNormal(shape, 0, t === 2 ? 1e-6 : 0.3, 'float32', 10 + t);
    const a: AdamKernelAttrs = {
      beta1: 0.5,
      beta2: 0.999,
      epsilon: 1e-8,
      stepSize: 2e-4 / (1 - 0.5 ** t),
      bc2Sqrt: Math.sqrt(1 - 0.999 ** t),
    };
    const next = fused
      ? (tf.engine().runKernel(ADAM_KERNEL, { param: p, grad: g, m, v }, a) as tf.Tensor[])
      : tf.tidy(() => {
          const m2 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
          const v2 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
          return [
            tf.sub(
              p,
              tf.mul(tf.div(m2, tf.add(tf.div(tf.sqrt(v2), a.bc2Sqrt), a.epsilon)), a.stepSize),
            ),
            m2,
            v2,
          ];
        });
    tf.dispose([p, m, v, g]);
    [p, m, v] = next as [tf.Tensor, tf.Tensor, tf.Tensor];
  }
  const out = [await p.data(), await m.data(), await v.data()] as Float32Array[];
  tf.dispose([p, m, v]);
  return out;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

const test = suite('fused Pix2PixAdam on the GPU backends');

for (const backend of ['webgl', 'webgpu'] as const) {
  test(`${backend}: matches the cpu op chain over three steps, without leaks`, async () => {
    await initBackend('cpu');
    const ref = await threeSteps(false);
    await initBackend(backend);
    assert.ok(tf.getKernel(ADAM_KERNEL, backend), `${ADAM_KERNEL} not registered for ${backend}`);
    const before = tf.memory().numTensors;
    const got = await threeSteps(true);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
    ['param', 'm', 'v'].forEach((name, i) => {
      const e = maxRel(got[i]!, ref[i]!);
      measure(`${backend} ${name} vs cpu chain (max diff / max |value|)`, e.toExponential(2));
      assert.ok(e < 1e-5, `${backend} ${name} differs from the cpu chain by ${e}`);
    });
  });
}

test.run();
