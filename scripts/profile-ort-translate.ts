/**
 * Where the time of one `translate()` goes on ort-node, against the bare network on both engines:
 * createPix2Pix translate (ort-node, wasm), a bare onnxruntime-node session run of the same
 * exported graph (same session options as the engine), a bare tfjs `generate` + read-back on the
 * wasm model, and each step around the session (the one-pass conversions the engine runs, and the
 * five separate passes it ran before: toFloatImage, padToMultiple, transpose, transpose back + crop,
 * toRGBA8). Interleaved, 100 ms pause before each timed call. Wall ms and the process's CPU ms
 * (user + system, all threads: less sensitive to other processes than wall time on a shared
 * machine, though cache and memory contention still inflate it). UNet-256 ngf 64, random weights.
 * Bundled and run by scripts/profile-ort-translate.mjs.
 */
import { createPix2Pix, readPth } from '../src/index.node.js';
import {
  toFloatImage,
  padToMultiple,
  cropTopLeft,
  toRGBA8,
  toPaddedPlanar,
  planarToRGBA8,
  type FloatImage,
} from '../src/core/image.js';
import { tf } from '../src/core/tf.js';
import { exportGeneratorOnnx } from '../src/pix2pix/onnx-export.js';
import { createOrtNodeSession } from '../src/backends/ort-node.js';
import type { Pix2PixModel } from '../src/pix2pix/model.js';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '5' },
    size: { type: 'string', default: '256' },
    ngf: { type: 'string', default: '64' },
  },
});
const threads = Number(values.threads);
const reps = Number(values.reps);
const size = Number(values.size);
const numDowns = Math.round(Math.log2(size));
const generator = { numDowns, ngf: Number(values.ngf) };

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const T = new Map<string, { wall: number[]; cpu: number[] }>();
async function time<R>(key: string, f: () => R | Promise<R>): Promise<R> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const r = await f();
  const wall = performance.now() - t0;
  const cpu = cpuMs() - c0;
  if (!T.has(key)) T.set(key, { wall: [], cpu: [] });
  T.get(key)!.wall.push(wall);
  T.get(key)!.cpu.push(cpu);
  return r;
}
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

function transpose(src: Float32Array, n: number, c: number, toPlanar: boolean): Float32Array {
  const out = new Float32Array(n * c);
  for (let k = 0; k < c; k++)
    for (let p = 0; p < n; p++)
      if (toPlanar) out[k * n + p] = src[p * c + k];
      else out[p * c + k] = src[k * n + p];
  return out;
}

const ort = await createPix2Pix({ generator, backend: 'ort-node', threads, seed: 1 });
const wasm = await createPix2Pix({ generator, backend: 'wasm', threads, seed: 1 });
if (ort.backendInfo.name !== 'ort-node') throw new Error(`no ort-node: ${ort.backendInfo.reason}`);
const session = await createOrtNodeSession(
  exportGeneratorOnnx(readPth(await ort.exportPth('G')), ort.options.generator),
  { threads },
);
const wasmModel = (wasm as unknown as { model: Pix2PixModel }).model;
let s = 7;
const img = {
  data: new Uint8ClampedArray(size * size * 4).map(
    () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24,
  ),
  width: size,
  height: size,
  channels: 4,
};
const n = size * size;
const dims: [number, number, number, number] = [1, 3, size, size];
const x0 = toPaddedPlanar(img, 3, 2 ** numDowns);

for (let r = -1; r < reps; r++) {
  await pause();
  await time('ort-node: createPix2Pix translate', () => ort.translate(img));
  await pause();
  await time('ort-node: bare session run', () => session.run(x0.data, dims));
  await pause();
  const x = await time('  now: toPaddedPlanar', () => toPaddedPlanar(img, 3, 2 ** numDowns));
  const y = await time('  session run', () => session.run(x.data, dims));
  await time('  now: planarToRGBA8', () =>
    planarToRGBA8({ data: y, width: size, height: size, channels: 3 }, size, size),
  );
  const f = await time('  before: toFloatImage', () => toFloatImage(img, 3));
  const p = await time('  before: padToMultiple', () => padToMultiple(f, 2 ** numDowns));
  await time('  before: HWC -> CHW', () => transpose(p.data, n, 3, true));
  const hwc = await time('  before: CHW -> HWC', () => transpose(y, n, 3, false));
  const out: FloatImage = { data: hwc, width: size, height: size, channels: 3 };
  await time('  before: crop + toRGBA8', () => toRGBA8(cropTopLeft(out, size, size)));
  await pause();
  await time('wasm: createPix2Pix translate', () => wasm.translate(img));
  await pause();
  await time('wasm: bare generate + read-back', async () => {
    const t = tf.tensor4d(f.data, [1, size, size, 3]);
    const g = wasmModel.generate(t, 'eval');
    await g.data();
    t.dispose();
    g.dispose();
  });
  if (r < 0) T.clear(); // warm-up
}
const med = (a: number[]): number => [...a].sort((u, v) => u - v)[a.length >> 1];
console.log(
  `# UNet-${size} ngf ${generator.ngf}, ${threads} thread(s), ${reps} reps after 1 warm-up; load average after ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log('| step | wall ms median (min) | CPU ms median (min) |');
console.log('|---|---|---|');
for (const [k, v] of T)
  console.log(
    `| ${k.replace(/^ {2}/, '- ')} | ${med(v.wall).toFixed(1)} (${Math.min(...v.wall).toFixed(1)}) | ${med(v.cpu).toFixed(1)} (${Math.min(...v.cpu).toFixed(1)}) |`,
  );
await session.release();
await ort.dispose();
await wasm.dispose();
process.exit(0);
