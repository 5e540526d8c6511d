import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../../src/core/fused-kernels.js';

const SHAPES = [[4, 4, 8, 33], [33], [7, 3]];

/**
 * Three Adam steps on a group of three parameters, through the fused kernel (packed moments) or
 * the per-parameter op chain; returns [params..., m..., v...] data.
 */
async function threeSteps(fused: boolean): Promise<Float32Array[]> {
  const sizes = SHAPES.map((s) => tf.util.sizeFromShape(s));
  const n = sizes.reduce((a, b) => a + b, 0);
  let ps = SHAPES.map((s, k) => tf.randomNormal(s, 0, 0.02, 'float32', 1 + k));
  let ms = SHAPES.map((s) => tf.zeros(s));
  let vs = SHAPES.map((s) => tf.zeros(s));
  let state = tf.zeros([2, n]);
  for (let t = 1; t <= 3; t++) {
    const gs = SHAPES.map((s, k) =>
      tf.randomNormal(s, 0, t === 2 ? 1e-6 : 0.3, 'float32', 10 * t + k),
    );
    const a: AdamKernelAttrs = {
      beta1: 0.5,
      beta2: 0.999,
      epsilon: 1e-8,
      stepSize: 2e-4 / (1 - 0.5 ** t),
      bc2Sqrt: Math.sqrt(1 - 0.999 ** t),
    };
    if (fused) {
      const inputs: tf.NamedTensorMap = { state };
      ps.forEach((p, k) => {
        inputs[`p${k}`] = p;
        inputs[`g${k}`] = gs[k]!;
      });
      const [s2, ...ps2] = tf.engine().runKernel(ADAM_KERNEL, inputs, a) as tf.Tensor[];
      tf.dispose([state, ...ps, ...gs]);
      [state, ps] = [s2!, ps2];
      continue;
    }
    const next = ps.map((p, k) =>
      tf.tidy(() => {
        const g = gs[k]!;
        const m2 = tf.add(tf.mul(ms[k]!, a.beta1), tf.mul(g, 1 - a.beta1));
        const v2 = tf.add(tf.mul(vs[k]!, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
        return [
          tf.sub(
            p,
            tf.mul(tf.div(m2, tf.add(tf.div(tf.sqrt(v2), a.bc2Sqrt), a.epsilon)), a.stepSize),
          ),
          m2,
          v2,
        ];
      }),
    );
    tf.dispose([...ps, ...ms, ...vs, ...gs]);
    ps = next.map((r) => r[0]!);
    ms = next.map((r) => r[1]!);
    vs = next.map((r) => r[2]!);
  }
  if (fused) {
    tf.dispose([...ms, ...vs]);
    const s = (await state.data()) as Float32Array;
    let off = 0;
    const out: Float32Array[] = [];
    for (const p of ps) out.push((await p.data()) as Float32Array);
    const m: Float32Array[] = [];
    const v: Float32Array[] = [];
    sizes.forEach((size) => {
      m.push(s.slice(off, off + size));
      v.push(s.slice(n + off, n + off + size));
      off += size;
    });
    tf.dispose([state, ...ps]);
    return [...out, ...m, ...v];
  }
  const out: Float32Array[] = [];
  for (const t of [...ps, ...ms, ...vs]) out.push((await t.data()) as Float32Array);
  tf.dispose([...ps, ...ms, ...vs, state]);
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
    ['param', 'm', 'v']
      .flatMap((w) => SHAPES.map((_, k) => `${w} ${k}`))
      .forEach((name, i) => {
        const e = maxRel(got[i]!, ref[i]!);
        measure(`${backend} ${name} vs cpu chain (max diff / max |value|)`, e.toExponential(2));
        assert.ok(e < 1e-5, `${backend} ${name} differs from the cpu chain by ${e}`);
      });
  });
}

test.run();
