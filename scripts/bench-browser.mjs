#!/usr/bin/env node
// UNet-256 inference (and training steps) in headless Chromium: pix2pix-ts's wasm backend next to
// onnxruntime-web (WASM) on the same network and weights (our ONNX export), and tfjs webgl on
// SwiftShader (software; for completeness, not a GPU figure).
//
// One page per thread count T (tfjs-backend-wasm fixes its XNNPACK pool at init, onnxruntime-web
// reads env.wasm.numThreads once): in that page our wasm runs with T threads and onnxruntime-web
// with numThreads T, interleaved round-robin per repetition (after warm-ups), so the ratio within
// a page is comparable even on a shared machine. Then training steps on our wasm (T threads).
// Pages are cross-origin isolated (COOP/COEP), so both engines can start threads.
//
// Usage: node scripts/bench-browser.mjs [--threads 1,2] [--reps 7] [--warmup 2] [--train-reps 3]
//          [--webgl-reps 3] [--no-webgl] [--no-train] [--size 256] [--ngf 64] [--json out.json]
//          [--profile]   (per-kernel ms of one training step per model, top 12 kernels)
//          [--torch-onnx file]  (also time onnxruntime-web on this ONNX file, e.g. PyTorch's own export
//                                of the same seed-0 weights that scripts/bench-infer-peers.mjs writes to
//                                .tmp/bench-infer-peers/256-ngf64/torch.onnx)
// Reuses test/browser/harness.mjs's Chromium flags and locator (/usr/bin/chromium, playwright-core).
import { build } from 'esbuild';
import { createServer } from 'node:http';
import {
  existsSync,
  statSync,
  readFileSync,
  writeFileSync,
  mkdirSync,
  copyFileSync,
} from 'node:fs';
import { join, extname, normalize, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg, cpus } from 'node:os';
import { CHROMIUM_ARGS, findChromium } from '../test/browser/harness.mjs';
import { copyWasmBinaries } from './lib/node-bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values: opt } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    'train-reps': { type: 'string', default: '3' },
    'webgl-reps': { type: 'string', default: '3' },
    'no-webgl': { type: 'boolean', default: false },
    'no-train': { type: 'boolean', default: false },
    size: { type: 'string', default: '256' },
    ngf: { type: 'string', default: '64' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'torch-onnx': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('//'))
      .map((l) => l.slice(3))
      .join('\n'),
  );
  process.exit(0);
}

// The page: bundled from the sources (esbuild), onnxruntime-web from its own dist as a global.
const PAGE_TS = `
import { tf } from './src/core/tf.js';
import { initBackend } from './src/backends/index.js';
import { Pix2PixModel } from './src/pix2pix/model.js';
import { exportModelOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './src/pix2pix/onnx-export.js';
import { caseFlops } from './src/bench/flops.js';
import { summarize, timeCall, timeCalls } from './src/bench/timing.js';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { wasmSimd, wasmSimdFailure } from './src/backends/wasm-simd/index.js';

declare const ort: any;
const report = (globalThis as any).__benchReport as (e: unknown) => Promise<void>;
const q = new URLSearchParams(location.search);
const T = Number(q.get('threads')), reps = Number(q.get('reps')), warmup = Number(q.get('warmup'));
const trainReps = Number(q.get('trainReps')), webglReps = Number(q.get('webglReps'));
const size = Number(q.get('size')), ngf = Number(q.get('ngf'));
const numDowns = size <= 64 ? 6 : size <= 128 ? 7 : 8;
const log = (line: string) => report({ type: 'log', line });
const modelOf = (s: number, n: number) => new Pix2PixModel({ generator: { numDowns: s <= 64 ? 6 : s <= 128 ? 7 : 8, ngf: n }, discriminator: { ndf: n }, seed: 0 });

interface Engine { name: string; threads: number; reps: number; activate(): Promise<void>; run(): Promise<void>; ms: number[]; release(): Promise<void> | void; note?: string }

async function main() {
  const wasmInfo = await initBackend('wasm', { threads: T, wasmPaths: '/tfwasm/' });
  const xnnThreads = getThreadsCount();
  log('wasm: ' + wasmInfo.reason + '; XNNPACK threads ' + xnnThreads + '; hardwareConcurrency ' + navigator.hardwareConcurrency + '; crossOriginIsolated ' + crossOriginIsolated);
  const own = wasmSimd(tf.backend() as any);
  log('own SIMD kernels: ' + (own ? 'loaded, ' + (own.pool?.size ?? 0) + ' helper workers' : 'not loaded (' + wasmSimdFailure(tf.backend() as any) + ')'));
  const engines: Engine[] = [];
  // Ours.
  const mW = modelOf(size, ngf);
  const xW = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as any;
  engines.push({
    name: 'wasm (ours)', threads: xnnThreads, reps, ms: [], note: wasmInfo.reason,
    activate: async () => { if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm'); },
    run: async () => { const y = mW.generate(xW, 'eval'); await y.data(); y.dispose(); },
    release: () => { mW.dispose(); xW.dispose(); },
  });
  // onnxruntime-web on the same weights.
  const bytes = await exportModelOnnx(mW);
  ort.env.wasm.numThreads = T;
  ort.env.wasm.wasmPaths = '/ort/';
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const n = size * size * 3;
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = (s / 2 ** 32) * 2 - 1; }
  const input = new ort.Tensor('float32', data, [1, 3, size, size]);
  engines.push({
    name: 'ort-web ' + ort.env.versions.web + ' (wasm)', threads: T, reps, ms: [],
    activate: async () => {},
    run: async () => { const out = await session.run({ [ONNX_INPUT_NAME]: input }); await out[ONNX_OUTPUT_NAME].getData?.(); out[ONNX_OUTPUT_NAME].dispose?.(); },
    release: () => session.release(),
  });
  // onnxruntime-web on PyTorch's own export of the same weights (--torch-onnx).
  if (q.get('torch') === '1') {
    const tBytes = new Uint8Array(await (await fetch('/torch/model.onnx')).arrayBuffer());
    const tSession = await ort.InferenceSession.create(tBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    engines.push({
      name: 'ort-web-torch ' + ort.env.versions.web + ' (wasm, PyTorch export)', threads: T, reps, ms: [],
      activate: async () => {},
      run: async () => { const out = await tSession.run({ [ONNX_INPUT_NAME]: input }); await out[ONNX_OUTPUT_NAME].getData?.(); out[ONNX_OUTPUT_NAME].dispose?.(); },
      release: () => tSession.release(),
    });
  }
  // webgl (SwiftShader): its own model, same seed, so the same weights.
  if (webglReps > 0) {
    const gl = await initBackend('webgl');
    const mG = modelOf(size, ngf);
    const xG = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as any;
    engines.push({
      name: 'webgl (tfjs, SwiftShader)', threads: 1, reps: webglReps, ms: [], note: gl.reason,
      activate: async () => { if (tf.getBackend() !== 'webgl') await tf.setBackend('webgl'); },
      run: async () => { const y = mG.generate(xG, 'eval'); await y.data(); y.dispose(); },
      release: async () => { await tf.setBackend('webgl'); mG.dispose(); xG.dispose(); },
    });
    await tf.setBackend('wasm');
  }
  const flops = caseFlops('infer', { generator: { numDowns, ngf }, discriminator: { ndf: ngf } }, size, size, 1);
  for (const e of engines) {
    await e.activate();
    for (let i = 0; i < warmup; i++) await e.run();
    log('warmed up: ' + e.name);
  }
  // Round-robin, the starting engine rotating per repetition.
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(r + k) % engines.length];
      if (e.ms.length >= e.reps) continue;
      await e.activate();
      // Let the previous engine's thread pool go idle (onnxruntime's workers spin after a run).
      await new Promise((res) => setTimeout(res, 100));
      e.ms.push((await timeCall(() => e.run())).ms);
    }
    log('rep ' + (r + 1) + '/' + reps + ': ' + engines.map((e) => e.name.split(' ')[0] + ' ' + (e.ms.at(-1) ?? 0).toFixed(0)).join(', '));
  }
  for (const e of engines) {
    const st = summarize(e.ms);
    await report({ type: 'result', task: 'infer', size, ngf, engine: e.name, threads: e.threads, reps: e.ms.length, ms: e.ms, ...st, flops, gflops: flops / (st.msMedian * 1e6), note: e.note });
  }
  for (const e of engines.reverse()) await e.release();
  await tf.setBackend('wasm');
  // Training steps on our wasm.
  if (trainReps > 0) {
    for (const [ts, tn] of [[128, 32], [size, ngf]]) {
      const m = modelOf(ts, tn);
      const a = tf.randomUniform([1, ts, ts, 3], -1, 1, 'float32', 1) as any;
      const b = tf.randomUniform([1, ts, ts, 3], -1, 1, 'float32', 2) as any;
      const { ms } = await timeCalls(() => m.trainStep(a, b), { warmup: 1, reps: trainReps });
      const st = summarize(ms);
      const tflops = caseFlops('train', { generator: { numDowns: ts <= 64 ? 6 : ts <= 128 ? 7 : 8, ngf: tn }, discriminator: { ndf: tn } }, ts, ts, 1);
      await report({ type: 'result', task: 'train', size: ts, ngf: tn, engine: 'wasm (ours)', threads: xnnThreads, reps: ms.length, ms, ...st, flops: tflops, gflops: tflops / (st.msMedian * 1e6) });
      if (q.get('profile') === '1') {
        // Per-kernel time of one step (tfjs-wasm kernels are synchronous, so kernelMs is wall time).
        const info = await tf.profile(() => m.trainStep(a, b));
        const byName = new Map<string, { ms: number; n: number }>();
        for (const k of info.kernels) { const e = byName.get(k.name) ?? { ms: 0, n: 0 }; e.ms += Number(k.kernelTimeMs) || 0; e.n++; byName.set(k.name, e); }
        const top = [...byName].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12).map(([name, e]) => ({ name, ms: e.ms, calls: e.n }));
        await report({ type: 'profile', size: ts, ngf: tn, threads: xnnThreads, top });
      }
      m.dispose(); a.dispose(); b.dispose();
    }
  }
  await report({ type: 'done', numTensors: tf.memory().numTensors });
}
main().catch((e) => report({ type: 'error', error: String((e && e.stack) || e) }));
`;

const outdir = join(root, '.tmp', `bench-browser-${process.pid}`);
mkdirSync(outdir, { recursive: true });
await build({
  stdin: { contents: PAGE_TS, resolveDir: root, loader: 'ts', sourcefile: 'bench-page.ts' },
  outfile: join(outdir, 'page.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
// pix2pix-ts's own SIMD kernels, which the page fetches beside its bundle (as rollup emits them).
for (const f of ['pix2pix-simd.wasm', 'pix2pix-simd-shared.wasm'])
  copyFileSync(join(root, 'src/backends/wasm-simd', f), join(outdir, f));
writeFileSync(
  join(outdir, 'index.html'),
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script src="/ort/ort.wasm.min.js"></script><script type="module" src="/page/page.js"></script></body></html>`,
);

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};
const tfwasmDir = join(outdir, 'tfwasm');
copyWasmBinaries(tfwasmDir);
const roots = [
  ['/page/', outdir + sep],
  // tfjs's binaries, the threaded binary's glue (its pthreads import it) and our SIMD modules,
  // as dist/ ships them side by side; without the glue the page falls back to one thread.
  ['/tfwasm/', tfwasmDir + sep],
  // The threaded binary's glue, which its pthread workers import (not in the package's dist/).
  ['/tfwasm/', join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out') + sep],
  ['/ort/', join(root, 'node_modules/onnxruntime-web/dist') + sep],
];
if (opt['torch-onnx']) {
  const tdir = join(root, '.tmp', 'bench-browser-torch');
  mkdirSync(tdir, { recursive: true });
  copyFileSync(opt['torch-onnx'], join(tdir, 'model.onnx'));
  roots.push(['/torch/', tdir + sep]);
}
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  for (const [prefix, folder] of roots) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(folder, path.slice(prefix.length)));
    if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) continue;
    res.writeHead(200, {
      ...headers,
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    });
    res.end(readFileSync(file));
    return;
  }
  res.writeHead(404, headers);
  res.end('not found');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const chromiumPath = findChromium();
if (!chromiumPath)
  throw new Error('Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)');
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: CHROMIUM_ARGS,
});
const machine = {
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  chromium: browser.version(),
};
console.log(
  `Chromium ${machine.chromium}, ${machine.cpu} x ${machine.cores}, Node ${machine.node}; pages from ${origin} (COOP/COEP)`,
);

const pages = [];
const profiles = {};
const threadList = opt.threads.split(',').map(Number);
try {
  for (const [i, T] of threadList.entries()) {
    const qs = new URLSearchParams({
      threads: T,
      reps: opt.reps,
      warmup: opt.warmup,
      size: opt.size,
      ngf: opt.ngf,
      trainReps: opt['no-train'] ? '0' : opt['train-reps'],
      profile: opt.profile ? '1' : '0',
      webglReps: opt['no-webgl'] || i > 0 ? '0' : opt['webgl-reps'],
      torch: opt['torch-onnx'] ? '1' : '0',
    });
    const load = [loadavg()[0]];
    const context = await browser.newContext();
    const page = await context.newPage();
    const results = [];
    let resolveDone;
    const done = new Promise((r) => (resolveDone = r));
    const timer = setInterval(() => load.push(loadavg()[0]), 10_000);
    await page.exposeFunction('__benchReport', (e) => {
      if (e.type === 'log') console.log(`  [T=${T}] ${e.line}`);
      else if (e.type === 'result') {
        results.push(e);
        console.log(
          `  [T=${T}] ${e.task} ${e.size} ngf${e.ngf} ${e.engine} t${e.threads}: median ${e.msMedian.toFixed(0)} ms, min ${e.msMin.toFixed(0)} ms (${e.reps} reps)`,
        );
      } else if (e.type === 'profile') {
        (profiles[T] ??= []).push(e);
        console.log(
          `  [T=${T}] profile of one train step ${e.size} ngf${e.ngf}: ` +
            e.top.map((k) => `${k.name} ${k.ms.toFixed(0)} ms/${k.calls}`).join(', '),
        );
      } else resolveDone(e);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        console.log(`  [T=${T}] console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => resolveDone({ type: 'error', error: err.message }));
    page.on('crash', () => resolveDone({ type: 'error', error: 'page crashed' }));
    const t0 = Date.now();
    await page.goto(`${origin}/page/index.html?${qs}`);
    const end = await done;
    clearInterval(timer);
    load.push(loadavg()[0]);
    await context.close();
    if (end.type === 'error') throw new Error(`page T=${T}: ${end.error}`);
    pages.push({
      threads: T,
      profiles: profiles[T],
      seconds: (Date.now() - t0) / 1000,
      loadavg1: {
        min: Math.min(...load),
        max: Math.max(...load),
        mean: load.reduce((a, b) => a + b, 0) / load.length,
      },
      numTensorsAfter: end.numTensors,
      results,
    });
  }
} finally {
  await browser.close();
  server.close();
}

// Table, and ratios within each page.
const r0 = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
console.log(
  '\npage | task | model | engine | threads | reps | median ms | min ms | GFLOP/s (median)',
);
for (const p of pages)
  for (const r of p.results)
    console.log(
      `T=${p.threads} | ${r.task} | ${r.size} ngf${r.ngf} | ${r.engine} | ${r.threads} | ${r.reps} | ${r0(r.msMedian)} | ${r0(r.msMin)} | ${r.gflops.toFixed(1)}`,
    );
console.log('');
for (const p of pages) {
  const ours = p.results.find((r) => r.task === 'infer' && r.engine.startsWith('wasm'));
  const others = p.results.filter((r) => r.task === 'infer' && r !== ours);
  console.log(
    `page T=${p.threads} (load avg 1 min ${p.loadavg1.min.toFixed(2)}-${p.loadavg1.max.toFixed(2)}): ` +
      others
        .map(
          (o) =>
            `ours/${o.engine.split(' ')[0]} median ${(ours.msMedian / o.msMedian).toFixed(2)}, min ${(ours.msMin / o.msMin).toFixed(2)}`,
        )
        .join('; '),
  );
  const big = p.results.find(
    (r) => r.task === 'train' && r.size === ours.size && r.ngf === ours.ngf,
  );
  if (big)
    console.log(
      `  training step per FLOP vs inference: ${(big.msMedian / big.flops / (ours.msMedian / ours.flops)).toFixed(2)}x (median)`,
    );
}
const out = { date: new Date().toISOString(), machine, options: opt, pages };
const file = opt.json ?? join(root, '.tmp', 'bench-browser.json');
writeFileSync(file, JSON.stringify(out, null, 1));
console.log(`\nJSON: ${file}`);
