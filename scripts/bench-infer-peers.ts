/**
 * Our wasm eval-mode inference (UNet-256 ngf 64 by default) against onnxruntime-web on two graphs
 * of the same network and weights: our `export-onnx` graph and PyTorch's own ONNX export
 * (scripts/torch-export-onnx.py, run with /usr/bin/python3, which has torch). Each task runs in its
 * own process, warmed up, timing `--reps` runs and reporting their median; the processes alternate
 * (the order rotates each round), as users run one engine per process: interleaving engines in one
 * process lets one engine's thread pool and caches slow the other. Prints, per thread count, the
 * median over rounds of each task's medians, the ratios ours / peer, and the load average before
 * and after each process. Bundled and run by scripts/bench-infer-peers.mjs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';
import { Pix2PixModel } from '../src/pix2pix/model.js';
import { generatorForward } from '../src/pix2pix/generator.js';
import { exportModelOnnx } from '../src/pix2pix/onnx-export.js';
import { createPeerSession } from '../src/bench/peers.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    size: { type: 'string', default: '256' },
    ngf: { type: 'string', default: '64' },
    tasks: { type: 'string', default: 'ours,ort-ours,ort-torch' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const size = Number(values.size);
const ngf = Number(values.ngf);
const numDowns = Math.round(Math.log2(size));
const reps = Number(values.reps);
const warmup = Number(values.warmup);
const SEED = 0;
// Run from the repository root (the bundle lives in .tmp/).
const ROOT_DIR = process.cwd();
const model = () => new Pix2PixModel({ generator: { numDowns, ngf }, seed: SEED });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function child(task: string, threads: number, dir: string): Promise<void> {
  const ms: number[] = [];
  const cpu: number[] = [];
  const time = async (run: () => Promise<void>) => {
    for (let i = 0; i < warmup; i++) await run();
    for (let i = 0; i < reps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run();
      ms.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  };
  if (task === 'ours' || task === 'ours-layers') {
    const info = await initBackend('wasm', { threads });
    const m = model();
    const x = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    // ours-layers: the layer-by-layer eval graph (no folding or fused up levels), as before them.
    const ctx = { batchStats: false, updateStats: false, fold: task === 'ours' };
    await time(async () => {
      const y = tf.tidy(() => generatorForward(m.G, m.options.generator, x, ctx));
      await y.data();
      y.dispose();
    });
    if (info.threads !== threads)
      throw new Error(`wasm runs ${info.threads} threads, not ${threads}`);
  } else {
    const file = task === 'ort-ours' ? 'ours.onnx' : 'torch.onnx';
    const s = await createPeerSession('ort-web', readFileSync(join(dir, file)), threads, [
      1,
      3,
      size,
      size,
    ]);
    await time(() => s.run());
    await s.release();
  }
  console.log(JSON.stringify({ task, threads, ms, cpu }));
}

async function prepare(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await initBackend('cpu');
  const m = model();
  writeFileSync(join(dir, 'ours.onnx'), await exportModelOnnx(m));
  const sd = await m.stateDict('G');
  const tensors: Array<[string, number[]]> = [];
  const parts: Float32Array[] = [];
  for (const [key, t] of sd) {
    if (key.endsWith('num_batches_tracked')) continue;
    tensors.push([key, t.shape]);
    parts.push(Float32Array.from(t.data as Float32Array));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const flat = new Float32Array(total);
  let at = 0;
  for (const p of parts) flat.set(p, (at += p.length) - p.length);
  writeFileSync(join(dir, 'weights.f32'), flat);
  const config = { num_downs: numDowns, ngf, input_nc: 3, output_nc: 3, norm: 'batch' };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ config, size, tensors }));
  m.dispose();
  const py = spawnSync(
    '/usr/bin/python3',
    [
      join(ROOT_DIR, 'scripts/torch-export-onnx.py'),
      join(dir, 'manifest.json'),
      join(dir, 'weights.f32'),
      join(dir, 'torch.onnx'),
    ],
    { stdio: 'inherit' },
  );
  if (py.status !== 0 || !existsSync(join(dir, 'torch.onnx')))
    throw new Error('PyTorch ONNX export failed (needs /usr/bin/python3 with torch)');
}

async function main(): Promise<void> {
  if (values.child) {
    const [task, t] = values.child.split(':');
    await child(task!, Number(t), values.dir!);
    process.exit(0);
  }
  const dir = join(process.cwd(), '.tmp', 'bench-infer-peers', `${size}-ngf${ngf}`);
  await prepare(dir);
  const tasks = values.tasks.split(',');
  const threadList = values.threads.split(',').map(Number);
  const rounds = Number(values.rounds);
  const results = new Map<string, number[]>();
  // Process CPU time (user + system, all threads) per run: less moved by other processes' load
  // than wall time, and at 1 thread a measure of the work itself.
  const cpuResults = new Map<string, number[]>();
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `UNet-${size} ngf ${ngf}, eval, batch 1; ${reps} timed runs after ${warmup} warm-ups per process; load ${load()}`,
  );
  for (let r = 0; r < rounds; r++) {
    for (const T of threadList) {
      for (let k = 0; k < tasks.length; k++) {
        const task = tasks[(r + k) % tasks.length]!;
        const before = load();
        const p = spawnSync(
          process.execPath,
          [
            process.argv[1]!,
            '--child',
            `${task}:${T}`,
            '--dir',
            dir,
            '--reps',
            String(reps),
            '--warmup',
            String(warmup),
            '--size',
            String(size),
            '--ngf',
            String(ngf),
          ],
          { encoding: 'utf8' },
        );
        const line = p.stdout.split('\n').find((l) => l.startsWith('{'));
        if (p.status !== 0 || !line)
          throw new Error(`${task} t${T} failed:\n${p.stdout}\n${p.stderr}`);
        const { ms, cpu } = JSON.parse(line) as { ms: number[]; cpu: number[] };
        const med = median(ms);
        const key = `${task}:${T}`;
        results.set(key, [...(results.get(key) ?? []), med]);
        cpuResults.set(key, [...(cpuResults.get(key) ?? []), median(cpu)]);
        console.log(
          `round ${r + 1} t${T} ${task.padEnd(11)} median ${med.toFixed(0)} ms (${ms.map((v) => v.toFixed(0)).join(' ')}), process CPU ${median(cpu).toFixed(0)} ms; load ${before} -> ${load()}`,
        );
      }
    }
  }
  for (const [what, res] of [
    ['wall ms', results],
    ['process CPU ms', cpuResults],
  ] as const) {
    console.log(`\n${what}: threads, task, median of the round medians (the round medians)`);
    for (const T of threadList) {
      const ours = median(res.get(`ours:${T}`) ?? [NaN]);
      for (const task of tasks) {
        const v = res.get(`${task}:${T}`) ?? [];
        console.log(
          `${String(T).padEnd(3)} ${task.padEnd(12)} ${median(v).toFixed(0).padStart(6)}  (${v.map((x) => x.toFixed(0)).join(' ')})`,
        );
      }
      for (const task of tasks.filter((t) => t !== 'ours'))
        console.log(
          `    ours / ${task}: ${(ours / median(res.get(`${task}:${T}`) ?? [NaN])).toFixed(2)}x`,
        );
    }
  }
  console.log(`load at the end ${load()}`);
}

await main();
