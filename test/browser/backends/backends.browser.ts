import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { BackendError } from '../../../src/core/errors.js';
import {
  initBackend,
  probeCapabilities,
  selectBackend,
  wasmThreadCap,
} from '../../../src/backends/index.js';
import type { BackendName } from '../../../src/backends/index.js';

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

/** conv2d (pix2pix's 4x4 stride-2 shape) and the gradients of sum(y^2)/2 wrt input and filter. */
async function convAndGrads(
  backend: BackendName,
): Promise<Record<'y' | 'dx' | 'dw', Float32Array>> {
  assert.is(tf.getBackend(), backend);
  const x = tf.tensor4d(lcg(2 * 32 * 32 * 3, 1), [2, 32, 32, 3]);
  const w = tf.tensor4d(lcg(4 * 4 * 3 * 16, 2), [4, 4, 3, 16]);
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

const probe = suite('probe in headless Chromium');

probe('reports WebGL2 on a software renderer, float render targets, SIMD and threads', async () => {
  const caps = await probeCapabilities();
  measure('environment', caps.environment);
  measure('webgl renderer', caps.webglRenderer);
  measure('crossOriginIsolated', caps.crossOriginIsolated);
  measure('hardwareConcurrency', caps.hardwareConcurrency);
  measure('webgpu', `${caps.webgpu} (adapter: ${caps.webgpuAdapter})`);
  assert.is(caps.environment, 'browser');
  assert.is(caps.webgl2, true);
  assert.is(caps.webglFloatRenderable, true);
  assert.match(caps.webglRenderer ?? '', /SwiftShader/i);
  assert.is(caps.webglSoftware, true);
  assert.is(caps.wasmSimd, true);
  assert.is(caps.crossOriginIsolated, true);
  assert.is(caps.wasmThreads, true, caps.wasmThreadsReason ?? '');
});

probe.run();

const select = suite('selection in headless Chromium');

select('auto picks threaded WASM over SwiftShader WebGL, for training and inference', async () => {
  for (const purpose of ['train', 'infer'] as const) {
    const info = await selectBackend({ purpose, threads: 8 });
    measure(`auto ${purpose}`, `${info.name}: ${info.reason}`);
    assert.is(info.name, 'wasm');
    assert.is(tf.getBackend(), 'wasm');
    assert.is(info.simd, true);
    measure('wasm XNNPACK threads', info.threads);
    // The 8 requested, though tfjs alone caps the pool at min(8, cores / 2) (1 on 2 cores).
    assert.is(info.threads, 8);
    assert.ok(info.threads > wasmThreadCap(2));
    assert.match(info.reason, /never auto-preferred over WASM/);
  }
  const binaries = performance
    .getEntriesByType('resource')
    .map((e) => e.name.split('/').pop()!)
    .filter((n) => n.endsWith('.wasm'));
  measure('wasm binaries fetched', binaries.join(', '));
  // tfjs's threaded binary, and pix2pix-ts's own SIMD kernels built for its shared memory.
  assert.equal([...new Set(binaries)].sort(), [
    'pix2pix-simd-shared.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]);
  // The threaded binary starts its pthread pool (8 workers) from blob: URLs; they exist only if
  // SharedArrayBuffer works, i.e. the page is cross-origin isolated.
  assert.ok(typeof SharedArrayBuffer === 'function' && crossOriginIsolated);
});

select('a forced webgl runs on SwiftShader and is reported as software', async () => {
  const info = await initBackend('webgl');
  measure('forced webgl', info.reason);
  assert.is(tf.getBackend(), 'webgl');
  assert.is(info.software, true);
  assert.is(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'), true);
  assert.is(tf.env().getNumber('WEBGL_DELETE_TEXTURE_THRESHOLD'), 256 * 1024 * 1024);
});

select(
  'a forced webgpu without an adapter is a clear BackendError, and the active backend stays',
  async () => {
    const caps = await probeCapabilities();
    await initBackend('cpu');
    if (caps.webgpuAdapter) {
      measure('webgpu', 'an adapter was granted: forced-unavailable case not applicable here');
      return;
    }
    try {
      await initBackend('webgpu');
      assert.unreachable();
    } catch (e) {
      assert.instance(e, BackendError);
      assert.match(
        (e as Error).message,
        /^Backend "webgpu" is not available here: .* Should be one of: cpu, wasm, webgl/,
      );
    }
    assert.is(tf.getBackend(), 'cpu');
  },
);

select.run();

const parity = suite('conv2d and its gradients agree across backends');

parity('webgl (SwiftShader) and threaded wasm match cpu', async () => {
  const results: Partial<Record<BackendName, Awaited<ReturnType<typeof convAndGrads>>>> = {};
  for (const name of ['cpu', 'wasm', 'webgl'] as const) {
    await initBackend(name);
    results[name] = await convAndGrads(name);
  }
  for (const [a, b] of [
    ['wasm', 'cpu'],
    ['webgl', 'cpu'],
    ['webgl', 'wasm'],
  ] as const) {
    for (const k of ['y', 'dx', 'dw'] as const) {
      const d = maxRelDiff(results[b]![k], results[a]![k]);
      measure(`${a} vs ${b} ${k} (max diff / max |value|)`, d.toExponential(2));
      assert.ok(d < 1e-4, `${a} ${k} differs from ${b} by ${d}`);
    }
  }
});

parity.run();
