import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { availableParallelism } from 'node:os';
import { tf } from '../../src/core/tf.js';
import { BackendError } from '../../src/core/errors.js';
import {
  initBackend,
  probeCapabilities,
  selectBackend,
  defaultWasmPaths,
  NODE_WASM_THREADS_REASON,
} from '../../src/backends/index.js';
import { nodeWebGPU } from '../../src/backends/webgpu.js';

/** Deterministic values in [-1, 1) so every backend sees the same inputs. */
function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** conv2d and its gradients (input and filter) of sum(y^2) / 2, read back as plain arrays. */
async function convAndGrads(): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  const x = tf.tensor4d(lcg(1 * 9 * 9 * 3, 1), [1, 9, 9, 3]);
  const w = tf.tensor4d(lcg(4 * 4 * 3 * 5, 2), [4, 4, 3, 5]);
  const f = (a: tf.Tensor4D, b: tf.Tensor4D) =>
    tf.mul(tf.sum(tf.square(tf.conv2d(a, b, 2, 'same'))), 0.5);
  const y = tf.conv2d(x, w, 2, 'same');
  const [dx, dw] = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, w]);
  const out = {
    y: (await y.data()) as Float32Array,
    dx: (await dx!.data()) as Float32Array,
    dw: (await dw!.data()) as Float32Array,
  };
  tf.dispose([x, w, y, dx!, dw!]);
  return out;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.is(a.length, b.length);
  let scale = 0,
    diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

const node = suite('backends in Node');

node(
  'the probe reports Node: no WebGL, WASM SIMD, threads off with the measured reason',
  async () => {
    const caps = await probeCapabilities();
    assert.is(caps.environment, 'node');
    assert.is(caps.webgl2, false);
    // Node's WebGPU is the optional `webgpu` package (Dawn): present when it loads.
    assert.is(caps.webgpu, (await nodeWebGPU()) !== undefined);
    assert.is(caps.wasm, true);
    assert.is(caps.wasmSimd, true);
    assert.is(caps.wasmThreads, false);
    assert.is(caps.wasmThreadsReason, NODE_WASM_THREADS_REASON);
    assert.ok(caps.hardwareConcurrency >= 1);
  },
);

node('the wasm binaries are found without configuration', () => {
  const dir = defaultWasmPaths();
  assert.type(dir, 'string');
  assert.match(dir as string, /\/$/);
});

node('cpu and wasm initialise for real and agree on conv2d and its gradients', async () => {
  const cpu = await initBackend('cpu');
  assert.is(tf.getBackend(), 'cpu');
  assert.equal([cpu.name, cpu.threads, cpu.simd, cpu.software], ['cpu', 1, false, false]);
  const ref = await convAndGrads();
  const wasm = await initBackend('wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.equal(
    [wasm.name, wasm.threads, wasm.simd, wasm.software],
    ['wasm', Math.min(8, availableParallelism()), true, false],
  );
  const got = await convAndGrads();
  for (const k of ['y', 'dx', 'dw'] as const) {
    const d = maxRelDiff(ref[k], got[k]);
    console.log(`# wasm vs cpu ${k}: max diff / max |value| = ${d.toExponential(2)}`);
    assert.ok(d < 1e-5, `${k} differs by ${d}`);
  }
});

node('auto selects wasm in Node for training, and ort-node over wasm for inference', async () => {
  const train = await selectBackend({ purpose: 'train' });
  assert.is(train.name, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.equal(
    train.tried.map((t) => t.name),
    ['webgl', 'webgpu'],
  );
  // onnxruntime-node is installed here (a dev dependency): auto inference runs on it, with the
  // tfjs wasm backend under it for the weights and paper mode.
  const infer = await selectBackend({ purpose: 'infer' });
  assert.is(infer.name, 'ort-node');
  assert.is(infer.tfjs?.name, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.equal(
    infer.tried.map((t) => t.name),
    ['webgl'],
  );
});

node(
  'initBackend("webgl") in Node throws a clear BackendError and leaves the active backend alone',
  async () => {
    await initBackend('cpu');
    try {
      await initBackend('webgl');
      assert.unreachable();
    } catch (e) {
      assert.instance(e, BackendError);
      assert.match(
        (e as Error).message,
        /^Backend "webgl" is not available here: no WebGL2 context \(Node has no WebGL; environment: node\)\. Should be one of: cpu, wasm/,
      );
    }
    assert.is(tf.getBackend(), 'cpu');
  },
);

node('wasmPaths cannot change once the wasm backend is configured', async () => {
  await initBackend('wasm');
  try {
    await initBackend('wasm', { wasmPaths: 'https://elsewhere.example/tfjs/' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BackendError);
    assert.match(
      (e as Error).message,
      /Option "wasmPaths" cannot change after the wasm backend has been configured/,
    );
  }
});

node('bad numeric options are RangeErrors naming the option', async () => {
  try {
    await initBackend('wasm', { threads: 0 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
    assert.match((e as Error).message, /Option "threads"/);
  }
});

node.run();
