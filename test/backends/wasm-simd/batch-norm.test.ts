import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_STATS_KERNEL,
} from '../../../src/core/fused-kernels.js';
import { setWasmSimdEnabled, wasmSimd } from '../../../src/backends/wasm-simd/index.js';
import { randn } from '../wasm-kernels/support.js';

const test = suite('BatchNorm kernels on the own wasm SIMD module');

test.before(async () => {
  await initBackend('wasm');
  assert.ok(wasmSimd(tf.backend() as unknown as BackendWasm), 'the module is loaded');
});

// [rows, C]: an even C (the SIMD path) and an odd one (the JS fallback).
const shape: [number, number, number, number] = [2, 9, 7, 6];
const size = shape.reduce((a, b) => a * b);
const xv = randn(size, 21).map((v) => 2 + 0.7 * v);
const dyv = randn(size, 22);
const gv = randn(6, 23);
const bv = randn(6, 24);

/** Stats, apply (with `slope`) and grad on the current backend, as plain arrays. */
function run(slope: number | undefined): Float32Array[] {
  return tf.tidy(() => {
    const e = tf.engine();
    const x = tf.tensor4d(xv, shape);
    const gamma = tf.tensor1d(gv);
    const beta = tf.tensor1d(bv);
    const stats = e.runKernel(BN_STATS_KERNEL, { x }) as tf.Tensor;
    const attrs: tf.NamedAttrMap =
      slope === undefined ? { epsilon: 1e-5 } : { epsilon: 1e-5, slope };
    const y = e.runKernel(BN_APPLY_KERNEL, { x, stats, gamma, beta }, attrs) as tf.Tensor;
    const grads = e.runKernel(
      BN_GRAD_KERNEL,
      { dy: tf.tensor4d(dyv, shape), x, stats, gamma, y },
      attrs,
    ) as tf.Tensor[];
    return [stats, y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

for (const slope of [undefined, 0, 0.2]) {
  test(`gives the cpu backend's values bit for bit (activation slope ${slope})`, async () => {
    await initBackend('cpu');
    const cpu = run(slope);
    await initBackend('wasm');
    const simd = run(slope);
    setWasmSimdEnabled(false);
    let js: Float32Array[];
    try {
      js = run(slope);
    } finally {
      setWasmSimdEnabled(true);
    }
    const names = ['stats', 'y', 'dx', 'dgamma', 'dbeta'];
    simd.forEach((v, i) => assert.equal(Array.from(v), Array.from(cpu[i]!), `${names[i]} vs cpu`));
    js.forEach((v, i) =>
      assert.equal(Array.from(v), Array.from(cpu[i]!), `${names[i]} (JS) vs cpu`),
    );
  });
}

test('runs in SIMD (the module is called) for an even channel count', async () => {
  await initBackend('wasm');
  const simd = wasmSimd(tf.backend() as unknown as BackendWasm)!;
  const exports = simd.exports as unknown as Record<string, (...a: number[]) => void>;
  const calls: string[] = [];
  const spy: Record<string, (...a: number[]) => void> = { ...exports };
  for (const k of ['bn_sum', 'bn_sqdev', 'bn_apply', 'bn_grad_sums', 'bn_grad_dx'])
    spy[k] = (...a: number[]) => {
      calls.push(k);
      exports[k]!(...a);
    };
  (simd as { exports: unknown }).exports = spy;
  try {
    run(0.2);
  } finally {
    (simd as { exports: unknown }).exports = exports;
  }
  assert.equal(calls, ['bn_sum', 'bn_sqdev', 'bn_apply', 'bn_grad_sums', 'bn_grad_dx']);
});

test.run();
