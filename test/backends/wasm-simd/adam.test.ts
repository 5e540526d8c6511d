import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { setWasmSimdEnabled, wasmSimd, wasmSimdFailure } from '../../../src/backends/wasm-simd/index.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../../src/core/fused-kernels.js';

const test = suite('Adam on the own wasm SIMD module');

const attrs: AdamKernelAttrs = {
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-8,
  stepSize: 2e-4 / (1 - 0.5 ** 3),
  bc2Sqrt: Math.sqrt(1 - 0.999 ** 3),
};

/** One Adam step on the active backend; returns [param, m, v] values. */
function step(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, shape: number[]) {
  const ts = [p, g, m, v].map((a) => tf.tensor(a, shape));
  const outs = tf
    .engine()
    .runKernel(ADAM_KERNEL, { param: ts[0]!, grad: ts[1]!, m: ts[2]!, v: ts[3]! }, attrs as never) as tf.Tensor[];
  const vals = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...ts, ...outs]);
  return vals;
}

function data(n: number, seed: number, scale: number, positive = false): Float32Array {
  const t = tf.tidy(() => {
    const r = tf.randomNormal([n], 0, scale, 'float32', seed);
    return positive ? tf.abs(r) : r;
  });
  const a = t.dataSync() as Float32Array;
  t.dispose();
  return a;
}

test('loads on the wasm backend', async () => {
  await initBackend('wasm');
  const be = tf.backend() as unknown as BackendWasm;
  assert.ok(wasmSimd(be), `not loaded: ${wasmSimdFailure(be)}`);
});

test('gives bitwise the JS loop\'s and the cpu backend\'s results, tail elements included', async () => {
  // 4 * 1000 + 3: the SIMD body and the scalar tail.
  const n = 4003;
  const shape = [n];
  await initBackend('cpu');
  const [p, g, m, v] = [data(n, 1, 0.02), data(n, 2, 0.3), data(n, 3, 0.1), data(n, 4, 0.01, true)];
  const onCpu = step(p!, g!, m!, v!, shape);
  await initBackend('wasm');
  const simd = step(p!, g!, m!, v!, shape);
  setWasmSimdEnabled(false);
  let js: Float32Array[];
  try {
    js = step(p!, g!, m!, v!, shape);
  } finally {
    setWasmSimdEnabled(true);
  }
  for (let k = 0; k < 3; k++) {
    assert.equal(simd[k], js[k], `output ${k}: SIMD vs the JS loop`);
    assert.equal(simd[k], onCpu[k], `output ${k}: wasm SIMD vs cpu`);
  }
  // Not a no-op: the parameters moved.
  assert.ok(simd[0]!.some((x, i) => x !== p![i]));
});

test.run();
