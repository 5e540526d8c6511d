#!/usr/bin/env node
// The ort-node engine against the tfjs wasm backend, both through createPix2Pix (the library as a
// user calls it: image conversion, pad/crop and read-back included), interleaved in one process per
// thread count (tfjs-backend-wasm fixes its thread count per process).
// Wall ms (median and min) and the process's CPU ms (median) per call.
// Usage: node scripts/bench-ort-engine.mjs [--threads 1,2] [--reps 7] [--size 256] [--ngf 64]
// Needs `npm run build` (imports dist/index.node.js).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '7' },
    size: { type: 'string', default: '256' },
    ngf: { type: 'string', default: '64' },
    child: { type: 'string' },
  },
});
const reps = Number(values.reps),
  size = Number(values.size),
  ngf = Number(values.ngf);
const numDowns = Math.round(Math.log2(size));

if (values.child) {
  const threads = Number(values.child);
  // PIX2PIX_DIST: another build folder holding index.node.js.
  const { createPix2Pix } = await import(
    join(process.env.PIX2PIX_DIST ?? new URL('../dist/', import.meta.url).pathname, 'index.node.js')
  );
  const generator = { numDowns, ngf };
  const ort = await createPix2Pix({ generator, backend: 'ort-node', threads, seed: 1 });
  const wasm = await createPix2Pix({ generator, backend: 'wasm', threads, seed: 1 });
  let s = 7;
  const data = new Uint8ClampedArray(size * size * 4).map(
    () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24,
  );
  const img = { data, width: size, height: size, channels: 4 };
  const cases = [
    ['ort-node', ort],
    ['wasm', wasm],
  ];
  const times = { 'ort-node': [], wasm: [] };
  // CPU ms of the process (user + system, all threads): less sensitive than wall time to other
  // processes on a shared machine (each thread pool's spinning counts too).
  const cpus = { 'ort-node': [], wasm: [] };
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (const [, p] of cases) await p.translate(img); // warm-up
  for (let r = 0; r < reps; r++) {
    for (const [name, p] of cases) {
      await new Promise((res) => setTimeout(res, 100)); // let a spinning thread pool settle
      const c0 = cpuMs();
      const t0 = performance.now();
      await p.translate(img);
      times[name].push(performance.now() - t0);
      cpus[name].push(cpuMs() - c0);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const out = {
    threads,
    ort: med(times['ort-node']),
    wasm: med(times.wasm),
    ortMin: Math.min(...times['ort-node']),
    wasmMin: Math.min(...times.wasm),
    ortCpu: med(cpus['ort-node']),
    wasmCpu: med(cpus.wasm),
    info: { ort: ort.backendInfo.reason, wasm: wasm.backendInfo.reason },
  };
  await ort.dispose();
  await wasm.dispose();
  console.log(JSON.stringify(out));
  process.exit(0);
}

console.log(
  `# UNet-${size} ngf ${ngf} translate() of one ${size}x${size} RGBA image through createPix2Pix, ${reps} interleaved reps, median (min) ms`,
);
console.log(
  `# load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  '| threads | ort-node ms | wasm ms | wasm / ort-node | ort-node CPU ms | wasm CPU ms | CPU ratio |',
);
console.log('|---|---|---|---|---|---|---|');
for (const t of values.threads.split(',').map(Number)) {
  const r = spawnSync(
    process.execPath,
    [
      new URL(import.meta.url).pathname,
      '--child',
      String(t),
      '--reps',
      String(reps),
      '--size',
      String(size),
      '--ngf',
      String(ngf),
    ],
    { encoding: 'utf8' },
  );
  const line = r.stdout.trim().split('\n').pop();
  let j;
  try {
    j = JSON.parse(line);
  } catch {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  console.log(
    `| ${t} | ${j.ort.toFixed(0)} (${j.ortMin.toFixed(0)}) | ${j.wasm.toFixed(0)} (${j.wasmMin.toFixed(0)}) | ${(j.wasm / j.ort).toFixed(2)}x | ${j.ortCpu.toFixed(0)} | ${j.wasmCpu.toFixed(0)} | ${(j.wasmCpu / j.ortCpu).toFixed(2)}x |`,
  );
  console.error(`#   ${t} thread(s): ort-node: ${j.info.ort}\n#   wasm: ${j.info.wasm}`);
}
console.log(
  `# load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
