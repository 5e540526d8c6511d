/**
 * The exported generator graph on a bare onnxruntime-node session, one variant against another:
 * how the up-sampling is written (ConvTranspose or its sub-pixel Conv form), BatchNorm folded into
 * the weights or not, and session options. Interleaved, a 100 ms pause before each timed run; wall
 * ms and the process's CPU ms (user + system, all threads). Also checks that each variant's output
 * equals the first's (rel L2) and, with --ops, lists the node types onnxruntime kept after its own
 * graph optimisations (the optimised model it writes). UNet-256 ngf 64, random weights with random
 * BatchNorm running statistics. Bundled and run by scripts/bench-ort-graph.mjs.
 */
import { Pix2PixModel } from '../src/pix2pix/model.js';
import { initBackend } from '../src/backends/index.js';
import { exportGeneratorOnnx, type OnnxExportOptions } from '../src/pix2pix/onnx-export.js';
import type { StateDict } from '../src/core/state-dict.js';
import { performance } from 'node:perf_hooks';
import { loadavg, tmpdir } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '5' },
    size: { type: 'string', default: '256' },
    ngf: { type: 'string', default: '64' },
    variants: { type: 'string', default: 'base,fold,subpixel' },
    ops: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    nodes: { type: 'boolean', default: false },
  },
});
const threads = Number(values.threads);
const reps = Number(values.reps);
const size = Number(values.size);
const numDowns = Math.round(Math.log2(size));
const generator = { numDowns, ngf: Number(values.ngf) };

type Variant = { graph: OnnxExportOptions; session?: Record<string, unknown> };
const VARIANTS: Record<string, Variant> = {
  base: { graph: {} },
  fold: { graph: { foldBatchNorm: true } },
  subpixel: { graph: { foldBatchNorm: true, upsample: 'subpixel' } },
  'subpixel-nofold': { graph: { upsample: 'subpixel' } },
  'subpixel-nospin': {
    graph: { foldBatchNorm: true, upsample: 'subpixel' },
    session: { extra: { session: { intra_op: { allow_spinning: '0' } } } },
  },
  'subpixel-daz': {
    graph: { foldBatchNorm: true, upsample: 'subpixel' },
    session: { extra: { session: { set_denormal_as_zero: '1' } } },
  },
  'subpixel-noarena': {
    graph: { foldBatchNorm: true, upsample: 'subpixel' },
    session: { enableCpuMemArena: false },
  },
  'subpixel-ext': {
    graph: { foldBatchNorm: true, upsample: 'subpixel' },
    session: { graphOptimizationLevel: 'extended' },
  },
};
const names = values.variants.split(',');
for (const n of names) if (!VARIANTS[n]) throw new Error(`unknown variant ${n}`);

await initBackend('cpu');
const model = new Pix2PixModel({ generator, seed: 1 });
const sd: StateDict = await model.stateDict('G');
// Random running statistics, so that folding BatchNorm is not an identity.
let seed = 11;
const rnd = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
for (const [k, t] of sd) {
  if (k.endsWith('running_mean'))
    (t.data as Float32Array).forEach((_, i, a) => (a[i] = rnd() * 0.2 - 0.1));
  if (k.endsWith('running_var'))
    (t.data as Float32Array).forEach((_, i, a) => (a[i] = 0.5 + rnd()));
}
model.dispose();

const ort = (await import('onnxruntime-node')).default ?? (await import('onnxruntime-node'));
const base: Record<string, unknown> = {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** The op types of an ONNX model's graph (protobuf: ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4). */
function opTypes(bytes: Uint8Array): Map<string, number> {
  const fields = (b: Uint8Array, want: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    let o = 0;
    const varint = (): number => {
      let v = 0,
        m = 1,
        c: number;
      do {
        c = b[o++];
        v += (c & 0x7f) * m;
        m *= 128;
      } while (c & 0x80);
      return v;
    };
    while (o < b.length) {
      const tag = varint();
      const f = Math.floor(tag / 8),
        wt = tag % 8;
      if (wt === 0) varint();
      else if (wt === 1) o += 8;
      else if (wt === 5) o += 4;
      else if (wt === 2) {
        const n = varint();
        if (f === want) out.push(b.subarray(o, o + n));
        o += n;
      } else throw new Error(`wire type ${wt}`);
    }
    return out;
  };
  const counts = new Map<string, number>();
  for (const g of fields(bytes, 7))
    for (const n of fields(g, 1)) {
      const op = new TextDecoder().decode(fields(n, 4)[0]);
      counts.set(op, (counts.get(op) ?? 0) + 1);
    }
  return counts;
}

const sessions = new Map<
  string,
  { run: (x: Float32Array) => Promise<Float32Array>; release: () => Promise<void> }
>();
const dims = [1, 3, size, size];
for (const n of names) {
  const v = VARIANTS[n];
  const bytes = exportGeneratorOnnx(sd, generator, v.graph);
  const opts: Record<string, unknown> = { ...base, ...v.session };
  if (values.ops) {
    const path = join(tmpdir(), `ort-graph-${process.pid}-${n}.onnx`);
    const s = await ort.InferenceSession.create(bytes, { ...opts, optimizedModelFilePath: path });
    await s.release();
    const ops = [...opTypes(readFileSync(path))].map(([k, c]) => `${k} ${c}`).join(', ');
    console.log(`# ${n}: exported ${[...opTypes(bytes)].map(([k, c]) => `${k} ${c}`).join(', ')}`);
    console.log(`#   after onnxruntime's optimisations: ${ops}`);
    rmSync(path, { force: true });
  }
  const s = await ort.InferenceSession.create(bytes, opts);
  sessions.set(n, {
    run: async (x) => {
      const out = await s.run({ input: new ort.Tensor('float32', x, dims) });
      return (out.output.data as Float32Array).slice();
    },
    release: () => s.release(),
  });
}

const x = Float32Array.from({ length: 3 * size * size }, () => rnd() * 2 - 1);
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const T = new Map<string, { wall: number[]; cpu: number[] }>(
  names.map((n) => [n, { wall: [], cpu: [] }]),
);
let ref: Float32Array | null = null;
const errs = new Map<string, number>();
for (let r = -1; r < reps; r++) {
  for (const n of names) {
    await new Promise((res) => setTimeout(res, 100));
    const c0 = cpuMs();
    const t0 = performance.now();
    const y = await sessions.get(n)!.run(x);
    const wall = performance.now() - t0;
    const cpu = cpuMs() - c0;
    if (r < 0) {
      if (!ref) ref = y;
      let num = 0,
        den = 0;
      for (let i = 0; i < y.length; i++) {
        num += (y[i] - ref[i]) ** 2;
        den += ref[i] ** 2;
      }
      errs.set(n, Math.sqrt(num / den));
      continue;
    }
    T.get(n)!.wall.push(wall);
    T.get(n)!.cpu.push(cpu);
  }
}
const med = (a: number[]): number => [...a].sort((u, v) => u - v)[a.length >> 1];
console.log(
  `# UNet-${size} ngf ${generator.ngf}, bare onnxruntime-node ${ort.env.versions?.node ?? ''} session, ${threads} intra-op thread(s), ${reps} interleaved reps after 1 warm-up; load average after ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log(
  `| variant | wall ms median (min) | CPU ms median (min) | vs ${names[0]} (wall, CPU) | rel L2 vs ${names[0]} |`,
);
console.log('|---|---|---|---|---|');
const b0 = T.get(names[0])!;
for (const [k, v] of T)
  console.log(
    `| ${k} | ${med(v.wall).toFixed(1)} (${Math.min(...v.wall).toFixed(1)}) | ${med(v.cpu).toFixed(1)} (${Math.min(...v.cpu).toFixed(1)}) | ${(med(b0.wall) / med(v.wall)).toFixed(2)}x, ${(med(b0.cpu) / med(v.cpu)).toFixed(2)}x | ${errs.get(k)!.toExponential(1)} |`,
  );
for (const s of sessions.values()) await s.release();
if (values.profile) {
  // onnxruntime's own per-node profile of 3 runs per variant: time by op type (its optimised graph).
  for (const n of names) {
    const v = VARIANTS[n];
    const prefix = join(tmpdir(), `ort-prof-${process.pid}-${n}`);
    const s = await ort.InferenceSession.create(exportGeneratorOnnx(sd, generator, v.graph), {
      ...base,
      ...v.session,
      enableProfiling: true,
      profileFilePrefix: prefix,
    });
    for (let r = 0; r < 3; r++) await s.run({ input: new ort.Tensor('float32', x, dims) });
    const file = (s as unknown as { endProfiling(): string }).endProfiling?.();
    await s.release();
    const { readdirSync } = await import('node:fs');
    const f =
      typeof file === 'string' && file
        ? file
        : join(
            tmpdir(),
            readdirSync(tmpdir()).find((e) => e.startsWith(`ort-prof-${process.pid}-${n}`))!,
          );
    const events = JSON.parse(readFileSync(f, 'utf8')) as {
      cat: string;
      name: string;
      dur: number;
      args?: { op_name?: string; output_type_shape?: unknown };
    }[];
    rmSync(f, { force: true });
    const byOp = new Map<string, number>();
    const byNode = new Map<string, number>();
    let total = 0;
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const op = e.args?.op_name ?? '?';
      byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 3000);
      const key = `${e.name.replace(/_kernel_time$/, '')} (${op} -> ${JSON.stringify(e.args?.output_type_shape ?? '')})`;
      byNode.set(key, (byNode.get(key) ?? 0) + e.dur / 3000);
      total += e.dur / 3000;
    }
    if (values.nodes)
      for (const [k, ms] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 40))
        console.log(`#   ${ms.toFixed(2)} ms ${k}`);
    console.log(
      `# profile ${n}: ${total.toFixed(1)} ms per run in kernels: ${[...byOp]
        .sort((a, b) => b[1] - a[1])
        .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
        .join(', ')}`,
    );
  }
}
process.exit(0);
