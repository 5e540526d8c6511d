import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  setWasmSimdEnabled,
  wasmSimd,
  wasmSimdFailure,
} from '../../../src/backends/wasm-simd/index.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../../src/core/fused-kernels.js';

const test = suite('Adam on the own wasm SIMD module');

const attrs: AdamKernelAttrs = {
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-8,
  stepSize: 2e-4 / (1 - 0.5 ** 3),
  bc2Sqrt: Math.sqrt(1 - 0.999 ** 3),
};

/** One Adam step of a group of two parameters on the active backend: [state, p0, p1] values. */
function step(state: Float32Array, ps: Float32Array[], gs: Float32Array[]): Float32Array[] {
  const ts: tf.Tensor[] = [tf.tensor2d(state, [2, state.length / 2])];
  const inputs: tf.NamedTensorMap = { state: ts[0]! };
  ps.forEach((p, k) => {
    ts.push((inputs[`p${k}`] = tf.tensor1d(p)), (inputs[`g${k}`] = tf.tensor1d(gs[k]!)));
  });
  const outs = tf.engine().runKernel(ADAM_KERNEL, inputs, attrs as never) as tf.Tensor[];
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

test("gives bitwise the JS loop's and the cpu backend's results, tail elements included", async () => {
  // 4 * 1000 + 3 and 37: the SIMD body and the scalar tail, at offsets into the packed moments.
  const sizes = [4003, 37];
  const n = sizes[0]! + sizes[1]!;
  const ps = sizes.map((k, i) => data(k, 1 + i, 0.02));
  const gs = sizes.map((k, i) => data(k, 3 + i, 0.3));
  const state = new Float32Array(2 * n);
  state.set(data(n, 5, 0.1));
  state.set(data(n, 6, 0.01, true), n);
  await initBackend('cpu');
  const onCpu = step(state, ps, gs);
  await initBackend('wasm');
  const simd = step(state, ps, gs);
  setWasmSimdEnabled(false);
  let js: Float32Array[];
  try {
    js = step(state, ps, gs);
  } finally {
    setWasmSimdEnabled(true);
  }
  for (let k = 0; k < 3; k++) {
    assert.equal(simd[k], js[k], `output ${k}: SIMD vs the JS loop`);
    assert.equal(simd[k], onCpu[k], `output ${k}: wasm SIMD vs cpu`);
  }
  // Not a no-op: the parameters moved.
  assert.ok(simd[1]!.some((x, i) => x !== ps[0]![i]));
});

test.run();
