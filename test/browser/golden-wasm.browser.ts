// The golden parity suite on tfjs wasm with threads (the page is cross-origin isolated, so tfjs
// loads its threaded SIMD binary), and proof that the XNNPACK pool really has one thread per
// logical core. This bundle is also its own worker script: loaded in a worker it times a conv
// with the thread count it is sent (each worker holds its own wasm module and pool).
import * as assert from 'uvu/assert';
import { suite, measure } from './support/runner.js';
import { checkGolden, GOLDEN_CONFIGS } from './support/golden.js';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { defaultWasmThreads, wasmThreadCap } from '../../src/backends/wasm.js';
import { wasmSimd } from '../../src/backends/wasm-simd/index.js';

interface WasmInternals {
  wasm: { tfjs: { getThreadsCount(): number } };
}
/** The pool size as XNNPACK itself reports it (pthreadpool_get_threads_count). */
const poolSize = (): number =>
  (tf.backend() as unknown as WasmInternals).wasm.tfjs.getThreadsCount();

interface Timing {
  threads: number;
  pool: number;
  convMs: number;
  matMulMs: number;
}

async function median(reps: number, once: () => Promise<void>): Promise<number> {
  await once();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[ms.length >> 1]!;
}

/** Median times of a pix2pix-sized conv (4x4 stride 2, 128x128x64 -> 64x64x128) with its input gradient, and of a 1024^3 matMul (all XNNPACK). */
async function timeKernels(reps: number): Promise<{ convMs: number; matMulMs: number }> {
  const x = tf.randomNormal([1, 128, 128, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, 64, 128]) as tf.Tensor4D;
  const a = tf.randomNormal([1024, 1024]) as tf.Tensor2D;
  const run = async (f: () => tf.Tensor) => {
    const y = tf.tidy(f);
    await y.data();
    y.dispose();
  };
  const convMs = await median(reps, () =>
    run(() => tf.grad((t: tf.Tensor) => tf.sum(tf.conv2d(t as tf.Tensor4D, w, 2, 'same')))(x)),
  );
  const matMulMs = await median(reps, () => run(() => tf.matMul(a, a)));
  tf.dispose([x, w, a]);
  return { convMs, matMulMs };
}

const inWorker = typeof document === 'undefined';

if (inWorker) {
  let ready: Promise<unknown> | undefined;
  self.onmessage = async (ev: MessageEvent<{ threads: number; reps: number }>) => {
    const { threads, reps } = ev.data;
    ready ??= initBackend('wasm', { threads });
    await ready;
    const msg: Timing = { threads, pool: poolSize(), ...(await timeKernels(reps)) };
    (self as unknown as Worker).postMessage(msg);
  };
} else {
  const threads = suite('wasm threads in a cross-origin-isolated page');
  const cores = navigator.hardwareConcurrency;

  threads(
    'the threaded binary runs one XNNPACK thread per logical core, and backendInfo says so',
    async () => {
      const info = await initBackend('wasm', { purpose: 'train' });
      measure('backend', `${info.name}: ${info.reason}`);
      measure(
        'hardwareConcurrency / tfjs alone / backendInfo.threads / XNNPACK pool',
        `${cores} / ${wasmThreadCap(cores)} / ${info.threads} / ${poolSize()}`,
      );
      assert.is(info.name, 'wasm');
      assert.is(info.simd, true);
      assert.is(info.threads, defaultWasmThreads(cores));
      assert.is(poolSize(), info.threads);
      const binaries = performance
        .getEntriesByType('resource')
        .map((e) => e.name.split('/').pop()!)
        .filter((n) => n.endsWith('.wasm'));
      // tfjs's threaded binary, and pix2pix-ts's own SIMD kernels built for its shared memory.
      assert.equal([...new Set(binaries)].sort(), [
        'pix2pix-simd-shared.wasm',
        'tfjs-backend-wasm-threaded-simd.wasm',
      ]);
      // pix2pix-ts's own SIMD kernels split their work with helper Web Workers on the same memory.
      const simd = wasmSimd(tf.backend() as never);
      assert.ok(simd?.shared, 'the own SIMD module runs on the shared memory');
      measure('own SIMD kernels: helper workers', String(simd?.pool?.size ?? 0));
      assert.is(simd?.pool?.size ?? 0, info.threads - 1);
      // The cap is lifted only while the backend initialises; the page sees the real value again.
      assert.is(Object.getOwnPropertyDescriptor(navigator, 'hardwareConcurrency'), undefined);
      assert.is(navigator.hardwareConcurrency, cores);
    },
  );

  threads('a conv with 1 vs all threads (workers of their own; figures only)', async () => {
    const n = defaultWasmThreads(cores);
    const workers = await Promise.all(
      [1, n].map(async (t) => {
        const w = new Worker(import.meta.url, { type: 'module' });
        return { t, w };
      }),
    );
    const ask = (w: Worker, t: number, reps: number) =>
      new Promise<Timing>((resolve, reject) => {
        w.onmessage = (e) => resolve(e.data as Timing);
        w.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
        w.postMessage({ threads: t, reps });
      });
    const runs: Record<number, Timing[]> = { 1: [], [n]: [] };
    try {
      // Interleaved rounds, one worker at a time, so both see the same machine load.
      for (let round = 0; round < 3; round++) {
        for (const { t, w } of workers) {
          const r = await ask(w, t, 5);
          assert.is(r.pool, t, `a worker asked for ${t} threads got an XNNPACK pool of ${r.pool}`);
          runs[t]!.push(r);
        }
      }
    } finally {
      for (const { w } of workers) w.terminate();
    }
    for (const k of ['convMs', 'matMulMs'] as const) {
      const best = (t: number) => Math.min(...runs[t]!.map((r) => r[k]));
      const what =
        k === 'convMs' ? 'conv 4x4/2 128x128x64->128 + input gradient' : 'matMul 1024x1024x1024';
      measure(
        `${what}, best of 3 medians, 1 thread / ${n} threads`,
        `${best(1).toFixed(1)} ms / ${best(n).toFixed(1)} ms = ${(best(1) / best(n)).toFixed(2)}x (a figure, not a check: the machine's load moves it)`,
      );
    }
  });

  threads.run();

  const golden = suite('golden parity on threaded wasm');
  for (const config of GOLDEN_CONFIGS) {
    golden(`${config} matches the PyTorch reference within the bounds`, async () => {
      assert.is(tf.getBackend(), 'wasm');
      await checkGolden(config, `wasm, ${poolSize()} threads`);
    });
  }
  golden.run();
}
