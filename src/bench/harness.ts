/**
 * The benchmark runner: for each selected case, build the model (seed 0, so every backend and
 * peer runs the same weights), warm up, time repeated runs, and report median, min/max,
 * quartiles, analytic FLOPs, GFLOP/s and peak memory. Models, inputs and peer sessions are
 * disposed between cases, and each tfjs case checks that it left no tensor behind.
 */
import { tf } from '../core/tf.js';
import type { Tensor4D } from '../core/tf.js';
import {
  initBackend,
  probeCapabilities,
  planBackends,
  NODE_WASM_THREADS_REASON,
  wasmThreadCap,
} from '../backends/index.js';
import type { BackendName } from '../backends/types.js';
import { TF_BACKEND_NAMES } from '../backends/types.js';
import { Pix2PixModel } from '../pix2pix/model.js';
import {
  exportModelOnnx,
  ENGINE_EXPORT_OPTIONS,
  type OnnxExportOptions,
} from '../pix2pix/onnx-export.js';

/** The graph a peer runs: ort-node the engine's (sub-pixel, BatchNorm folded), ort-web the plain one. */
const exportOptionsFor = (backend: string): OnnxExportOptions =>
  backend === 'ort-node' ? ENGINE_EXPORT_OPTIONS : {};
import { caseFlops } from './flops.js';
import {
  selectCases,
  type BenchCase,
  type BenchEnvironment,
  type BenchFilters,
  type BenchSkip,
} from './cases.js';
import {
  createPeerSession,
  ortWebThreadsFixed,
  peerUnavailable,
  type PeerSession,
} from './peers.js';
import { summarize as summarizeTimes, timeCall, timeCalls } from './timing.js';

/**
 * One measured case: the case, timings in milliseconds, the analytic FLOPs and the achieved rate.
 *
 * @example
 * ```ts
 * const r: BenchResult = (await runBench({ task: ['infer'], size: [64], ngf: [16] })).results[0];
 * console.log(r.msMedian, r.gflops);
 * ```
 */
export interface BenchResult extends BenchCase {
  /** Timed runs (after warm-up). */
  reps: number;
  msMedian: number;
  msMin: number;
  msMax: number;
  /** First and third quartiles of the timed runs. */
  msQ1: number;
  msQ3: number;
  /** Analytic conv FLOPs of one run (see `flops.ts`). */
  flops: number;
  /** Achieved GFLOP/s at the median. */
  gflops: number;
  /** Peak resident set size seen during the case (Node), MB. */
  peakRssMB?: number;
  /** Peak bytes held by tfjs tensors during one run (`tf.profile`), MB: the memory estimate on GPUs. */
  peakTensorMB?: number;
  /** Library version of a peer. */
  version?: string;
  /**
   * Which interleaved run (process) measured it, when results of several are merged (the CLI's
   * `--interleave` with onnxruntime-web thread counts in child processes); ratios are only taken
   * within one group.
   */
  group?: number;
}

/** Options of {@link runBench}. */
export interface BenchRunOptions {
  /** Timed runs per case (fewer when `maxSeconds` runs out, at least one). @defaultValue 5 */
  reps?: number;
  /** Untimed runs first. @defaultValue 1 */
  warmup?: number;
  /** Stop adding timed runs once a case has used this many seconds. @defaultValue 60 */
  maxSeconds?: number;
  /** Called as each case finishes. */
  onResult?: (r: BenchResult) => void;
  /** Called for each group of cases that will not run (before any run, and when one turns out impossible). */
  onSkip?: (s: BenchSkip & { respawn?: boolean }) => void;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The environment (default: {@link probeBenchEnvironment}); tests pass a simulated one. */
  environment?: BenchEnvironment;
  /**
   * Round-robin instead of case after case: every case is set up and warmed up first, then each
   * repetition runs every case once (the first case rotating), so all cases see the same machine
   * load and their ratios stay comparable on a shared machine. Holds every model and session at
   * once. One tfjs backend per process (the first selected; the others are skipped), and one
   * onnxruntime-web thread count (the first; the others are skipped with `respawn`).
   * @defaultValue false
   */
  interleave?: boolean;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * What this runtime can benchmark: the tfjs backends the capability probe finds usable, with
 * the thread counts each can use here, and the onnxruntime peers that import.
 *
 * @example
 * ```ts
 * const env = await probeBenchEnvironment();
 * console.log(env.available, env.unavailable);
 * ```
 */
export async function probeBenchEnvironment(
  opts: { webgpu?: boolean } = {},
): Promise<BenchEnvironment> {
  // Loading Dawn in Node (the optional `webgpu` package) prints Vulkan warnings on machines without
  // a GPU driver: only do it when webgpu cases may be asked for.
  const caps = await probeCapabilities({ nodeWebGPU: opts.webgpu ?? true });
  const env: BenchEnvironment = { available: {}, unavailable: {}, threadReasons: {} };
  for (const e of planBackends(caps, 'infer', TF_BACKEND_NAMES)) {
    if (!e.ok) {
      env.unavailable[e.name] = e.reason;
      continue;
    }
    if (e.name === 'wasm' && caps.wasmThreads) {
      env.available.wasm = Array.from(
        { length: wasmThreadCap(caps.hardwareConcurrency) },
        (_, i) => i + 1,
      );
      env.threadReasons!.wasm = `tfjs-backend-wasm uses at most min(8, cores / 2) = ${wasmThreadCap(caps.hardwareConcurrency)} threads on ${caps.hardwareConcurrency} cores`;
    } else if (e.name === 'wasm' && caps.environment === 'node') {
      // Threads in Node come from our own start-up of the threaded binary (src/backends/wasm-node-threads.ts):
      // the first thread count asked for in a process is the one it keeps.
      env.available.wasm = Array.from(
        { length: Math.max(1, Math.min(8, caps.hardwareConcurrency)) },
        (_, i) => i + 1,
      );
      env.threadReasons!.wasm = NODE_WASM_THREADS_REASON;
    } else if (e.name === 'wasm') {
      env.available.wasm = [1];
      env.threadReasons!.wasm = `wasm threads are off: ${caps.wasmThreadsReason}`;
    } else {
      env.available[e.name] = [1];
      env.threadReasons![e.name] =
        e.name === 'cpu'
          ? 'tfjs-backend-cpu is single-threaded JavaScript'
          : `${e.name} computes on the GPU; threads do not apply`;
    }
  }
  for (const peer of ['ort-web', 'ort-node'] as const) {
    const why = await peerUnavailable(peer);
    if (why) env.unavailable[peer] = why;
    else if (peer === 'ort-web' && !isNode && !caps.crossOriginIsolated) {
      env.available[peer] = [1];
      env.threadReasons![peer] = 'onnxruntime-web threads need a cross-origin isolated page';
    } else
      env.available[peer] = [1, 2, 4, 8].filter((t) => t === 1 || t <= caps.hardwareConcurrency);
  }
  return env;
}

/**
 * Median, min, max and quartiles of timings (linear interpolation between order statistics).
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]); // { msMedian: 2, msMin: 1, msMax: 3, msQ1: 1.5, msQ3: 2.5 }
 * ```
 */
export function summarize(
  ms: number[],
): Pick<BenchResult, 'msMedian' | 'msMin' | 'msMax' | 'msQ1' | 'msQ3'> {
  const { msMedian, msMin, msMax, msQ1, msQ3 } = summarizeTimes(ms);
  return { msMedian, msMin, msMax, msQ1, msQ3 };
}

const rssMB = () => (isNode ? process.memoryUsage().rss / 2 ** 20 : undefined);

async function timeRuns(
  fn: () => Promise<void>,
  o: Required<Pick<BenchRunOptions, 'reps' | 'warmup' | 'maxSeconds'>>,
  firstWarmup?: () => Promise<void>,
) {
  let peak = rssMB();
  const track = () => {
    const r = rssMB();
    if (r !== undefined && (peak === undefined || r > peak)) peak = r;
  };
  const { ms } = await timeCalls(fn, { ...o, firstWarmup, after: track });
  return { ms, peakRssMB: peak };
}

/** One model per (backend, size, ngf, batch); consecutive cases share it. */
function configKey(c: BenchCase): string {
  return `${c.backend}/${c.size}/${c.ngf}/${c.batch}`;
}

function modelFor(c: BenchCase): Pix2PixModel {
  return new Pix2PixModel({
    generator: { numDowns: c.numDowns, ngf: c.ngf },
    discriminator: { ndf: c.ngf },
    seed: 0,
  });
}

/**
 * Runs every case the filters select on this runtime and returns the results and the skips.
 *
 * @example
 * ```ts
 * const { results } = await runBench({ backend: ['wasm', 'ort-node'], task: ['infer'], size: [256], ngf: [64] }, { reps: 5 });
 * for (const r of results) console.log(formatJsonLine(r));
 * ```
 */
export async function runBench(
  filters: BenchFilters = {},
  options: BenchRunOptions = {},
): Promise<{ results: BenchResult[]; skipped: (BenchSkip & { respawn?: boolean })[] }> {
  const { reps = 5, warmup = 1, maxSeconds = 60, onResult, onSkip, log = () => {} } = options;
  if (!Number.isInteger(reps) || reps < 1)
    throw new RangeError(`Option "reps" must be a positive integer, got ${reps}.`);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new RangeError(`Option "warmup" must be an integer >= 0, got ${warmup}.`);
  const env =
    options.environment ??
    (await probeBenchEnvironment({
      webgpu: !filters.backend || filters.backend.includes('webgpu'),
    }));
  const { cases, skipped } = selectCases(filters, env);
  const allSkipped: (BenchSkip & { respawn?: boolean })[] = [...skipped];
  skipped.forEach((s) => onSkip?.(s));
  if (options.interleave)
    return runInterleaved(cases, allSkipped, { reps, warmup, maxSeconds }, options);
  const results: BenchResult[] = [];
  const timing = { reps, warmup, maxSeconds };
  let model: Pix2PixModel | undefined;
  let modelKey = '';
  let inputs: Tensor4D[] = [];
  let onnx: { key: string; bytes: Uint8Array } | undefined;
  let wasmThreads: number | undefined;
  const release = () => {
    model?.dispose();
    tf.dispose(inputs);
    model = undefined;
    inputs = [];
    modelKey = '';
  };
  try {
    for (const c of cases) {
      const flops = caseFlops(
        c.task,
        { generator: { numDowns: c.numDowns, ngf: c.ngf }, discriminator: { ndf: c.ngf } },
        c.size,
        c.size,
        c.batch,
      );
      const label = `${c.backend} ${c.task} ${c.size} ngf${c.ngf} b${c.batch} t${c.threads}`;
      let measured: { ms: number[]; peakRssMB?: number };
      let peakTensorMB: number | undefined;
      let version: string | undefined;
      if (c.backend === 'ort-web' || c.backend === 'ort-node') {
        const fixed = c.backend === 'ort-web' ? ortWebThreadsFixed(c.threads) : null;
        if (fixed) {
          const s = {
            backend: c.backend,
            threads: c.threads,
            size: c.size,
            reason: fixed,
            respawn: isNode,
          };
          allSkipped.push(s);
          onSkip?.(s);
          continue;
        }
        const key = `${c.size}/${c.ngf}/${c.backend === 'ort-node' ? 'engine' : 'plain'}`;
        if (onnx?.key !== key) {
          onnx = undefined;
          // Weights are made by tfjs (seed 0, as the tfjs cases); any initialised backend will do.
          if (!tf.engine().backendName) await initBackend('cpu');
          const m = modelFor(c);
          try {
            onnx = { key, bytes: await exportModelOnnx(m, exportOptionsFor(c.backend)) };
          } finally {
            m.dispose();
          }
        }
        log(`${label}: creating session`);
        const session = await createPeerSession(c.backend, onnx.bytes, c.threads, [
          c.batch,
          3,
          c.size,
          c.size,
        ]);
        version = session.version;
        try {
          log(`${label}: running`);
          measured = await timeRuns(() => session.run(), timing);
        } finally {
          await session.release();
        }
      } else {
        const name = c.backend as BackendName;
        if (name === 'wasm' && wasmThreads !== undefined && wasmThreads !== c.threads) {
          const s = {
            backend: c.backend,
            threads: c.threads,
            reason: `tfjs-backend-wasm fixed its thread pool at ${wasmThreads} when it initialised; threads=${c.threads} needs another ${isNode ? 'process' : 'page load'}`,
          };
          allSkipped.push(s);
          onSkip?.(s);
          continue;
        }
        if (tf.getBackend() !== name) {
          release();
          const info = await initBackend(name, name === 'wasm' ? { threads: c.threads } : {});
          if (name === 'wasm') wasmThreads = info.threads;
        }
        if (modelKey !== configKey(c)) {
          release();
          log(`${label}: building the model`);
          model = modelFor(c);
          modelKey = configKey(c);
          inputs = [
            tf.randomUniform([c.batch, c.size, c.size, 3], -1, 1, 'float32', 1),
            tf.randomUniform([c.batch, c.size, c.size, 3], -1, 1, 'float32', 2),
          ] as Tensor4D[];
        }
        const m = model!;
        const [a, b] = inputs;
        const run =
          c.task === 'infer'
            ? async () => {
                const y = m.generate(a, 'eval');
                await y.data();
                y.dispose();
              }
            : async () => {
                await m.trainStep(a, b);
              };
        // Tensors the model keeps on purpose (its folded eval weights) are not leaks.
        const held = () => m.G.derivedTensors;
        const before = tf.memory().numTensors - held();
        // The first warm-up runs under tf.profile: its peak tensor bytes are the memory figure on GPUs.
        const profiled = async () => {
          const info = await tf.profile(run);
          peakTensorMB = info.peakBytes / 2 ** 20;
        };
        log(`${label}: running`);
        measured = await timeRuns(run, timing, profiled);
        const after = tf.memory().numTensors - held();
        if (after !== before)
          throw new Error(`internal: the ${label} case leaked ${after - before} tensors`);
      }
      const s = summarize(measured.ms);
      const r: BenchResult = {
        ...c,
        reps: measured.ms.length,
        ...s,
        flops,
        gflops: flops / (s.msMedian * 1e6),
        ...(measured.peakRssMB !== undefined ? { peakRssMB: measured.peakRssMB } : {}),
        ...(peakTensorMB !== undefined ? { peakTensorMB } : {}),
        ...(version ? { version } : {}),
      };
      results.push(r);
      onResult?.(r);
    }
  } finally {
    release();
  }
  return { results, skipped: allSkipped };
}

/** Pause before each timed run in interleaved mode (untimed). */
const INTERLEAVE_SETTLE_MS = 100;

/** A case set up and ready to time (see {@link runInterleaved}). */
interface Runner {
  c: BenchCase;
  label: string;
  run: () => Promise<void>;
  /** The first warm-up (tfjs: under tf.profile, for the tensor peak). */
  first?: () => Promise<void>;
  ms: number[];
  peakTensorMB?: number;
  version?: string;
}

async function runInterleaved(
  cases: BenchCase[],
  allSkipped: (BenchSkip & { respawn?: boolean })[],
  o: Required<Pick<BenchRunOptions, 'reps' | 'warmup' | 'maxSeconds'>>,
  options: BenchRunOptions,
): Promise<{ results: BenchResult[]; skipped: (BenchSkip & { respawn?: boolean })[] }> {
  const { onResult, onSkip, log = () => {} } = options;
  const skip = (s: BenchSkip & { respawn?: boolean }) => {
    allSkipped.push(s);
    onSkip?.(s);
  };
  const tfjsName = cases.find((c) => !c.backend.startsWith('ort-'))?.backend as
    BackendName | undefined;
  const tfjsThreads = cases.find((c) => c.backend === tfjsName)?.threads;
  const ortWebFirst = cases.find((c) => c.backend === 'ort-web')?.threads;
  const runners: Runner[] = [];
  const models = new Map<string, { model: Pix2PixModel; a: Tensor4D; b: Tensor4D }>();
  const sessions: PeerSession[] = [];
  const onnx = new Map<string, Uint8Array>();
  let peak = rssMB();
  const track = () => {
    const r = rssMB();
    if (r !== undefined && (peak === undefined || r > peak)) peak = r;
  };
  const results: BenchResult[] = [];
  try {
    // ONNX bytes first, on cpu (the tfjs cases' weights come from the same seed).
    for (const c of cases.filter((c) => c.backend.startsWith('ort-'))) {
      const key = `${c.size}/${c.ngf}/${c.backend}`;
      if (onnx.has(key)) continue;
      if (!tf.engine().backendName) await initBackend('cpu');
      const m = modelFor(c);
      try {
        onnx.set(key, await exportModelOnnx(m, exportOptionsFor(c.backend)));
      } finally {
        m.dispose();
      }
    }
    if (tfjsName) {
      const info = await initBackend(tfjsName, tfjsName === 'wasm' ? { threads: tfjsThreads } : {});
      if (tfjsName === 'wasm') log(`wasm: ${info.threads} thread(s)`);
    }
    for (const c of cases) {
      const label = `${c.backend} ${c.task} ${c.size} ngf${c.ngf} b${c.batch} t${c.threads}`;
      if (c.backend === 'ort-web' || c.backend === 'ort-node') {
        if (c.backend === 'ort-web' && c.threads !== ortWebFirst) {
          skip({
            backend: c.backend,
            threads: c.threads,
            size: c.size,
            reason: `onnxruntime-web reads env.wasm.numThreads once per process (${ortWebFirst} here); threads=${c.threads} needs another process`,
            respawn: isNode,
          });
          continue;
        }
        log(`${label}: creating session`);
        const session = await createPeerSession(
          c.backend,
          onnx.get(`${c.size}/${c.ngf}/${c.backend}`)!,
          c.threads,
          [c.batch, 3, c.size, c.size],
        );
        sessions.push(session);
        runners.push({ c, label, run: () => session.run(), ms: [], version: session.version });
        continue;
      }
      if (c.backend !== tfjsName || c.threads !== tfjsThreads) {
        skip({
          backend: c.backend,
          threads: c.threads,
          reason: `--interleave runs one tfjs backend and thread count per process (${tfjsName} t${tfjsThreads} here)`,
        });
        continue;
      }
      let m = models.get(configKey(c));
      if (!m) {
        log(`${label}: building the model`);
        m = {
          model: modelFor(c),
          a: tf.randomUniform([c.batch, c.size, c.size, 3], -1, 1, 'float32', 1) as Tensor4D,
          b: tf.randomUniform([c.batch, c.size, c.size, 3], -1, 1, 'float32', 2) as Tensor4D,
        };
        models.set(configKey(c), m);
      }
      const { model, a, b } = m;
      const run =
        c.task === 'infer'
          ? async () => {
              const y = model.generate(a, 'eval');
              await y.data();
              y.dispose();
            }
          : async () => {
              await model.trainStep(a, b);
            };
      const r: Runner = { c, label, run, ms: [] };
      r.first = async () => {
        r.peakTensorMB = (await tf.profile(run)).peakBytes / 2 ** 20;
      };
      runners.push(r);
    }
    // Tensors the models keep on purpose (their folded eval weights) are not leaks.
    const held = () => [...models.values()].reduce((n, m) => n + m.model.G.derivedTensors, 0);
    const before = tf.memory().numTensors - held();
    for (const r of runners) {
      log(`${r.label}: warming up`);
      for (let i = 0; i < o.warmup; i++) {
        await (i === 0 && r.first ? r.first() : r.run());
        track();
      }
    }
    const t0 = performance.now();
    for (let rep = 0; rep < o.reps; rep++) {
      for (let k = 0; k < runners.length; k++) {
        const r = runners[(rep + k) % runners.length];
        // Let the previous case's thread pool go idle first: onnxruntime's workers spin-wait for
        // a while after a run, which would take a core from this case on a small machine.
        await new Promise((res) => setTimeout(res, INTERLEAVE_SETTLE_MS));
        r.ms.push((await timeCall(r.run)).ms);
        track();
      }
      log(
        `round ${rep + 1}/${o.reps}: ${runners.map((r) => `${r.c.backend} t${r.c.threads} ${r1(r.ms[r.ms.length - 1])}`).join(', ')}`,
      );
      if ((performance.now() - t0) / 1000 > o.maxSeconds * runners.length) break;
    }
    const after = tf.memory().numTensors - held();
    if (after !== before)
      throw new Error(`internal: the interleaved cases leaked ${after - before} tensors`);
    for (const r of runners) {
      const s = summarize(r.ms);
      const flops = caseFlops(
        r.c.task,
        { generator: { numDowns: r.c.numDowns, ngf: r.c.ngf }, discriminator: { ndf: r.c.ngf } },
        r.c.size,
        r.c.size,
        r.c.batch,
      );
      const res: BenchResult = {
        ...r.c,
        reps: r.ms.length,
        ...s,
        flops,
        gflops: flops / (s.msMedian * 1e6),
        ...(peak !== undefined ? { peakRssMB: peak } : {}),
        ...(r.peakTensorMB !== undefined ? { peakTensorMB: r.peakTensorMB } : {}),
        ...(r.version ? { version: r.version } : {}),
      };
      results.push(res);
      onResult?.(res);
    }
  } finally {
    for (const m of models.values()) {
      m.model.dispose();
      tf.dispose([m.a, m.b]);
    }
    for (const s of sessions) await s.release();
  }
  return { results, skipped: allSkipped };
}

const r1 = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * One case as a JSON line (what `--json` prints).
 *
 * @example
 * ```ts
 * formatJsonLine(result); // '{"backend":"wasm","task":"infer","size":256,...,"msMedian":2710.4,"gflops":4.46,...}'
 * ```
 */
export function formatJsonLine(r: BenchResult): string {
  const round = (v: number, d = 3) => Number(v.toFixed(d));
  return JSON.stringify({
    backend: r.backend,
    task: r.task,
    size: r.size,
    ngf: r.ngf,
    batch: r.batch,
    threads: r.threads,
    numDowns: r.numDowns,
    reps: r.reps,
    msMedian: round(r.msMedian),
    msMin: round(r.msMin),
    msMax: round(r.msMax),
    msQ1: round(r.msQ1),
    msQ3: round(r.msQ3),
    flops: r.flops,
    gflops: round(r.gflops),
    ...(r.peakRssMB !== undefined ? { peakRssMB: round(r.peakRssMB, 1) } : {}),
    ...(r.peakTensorMB !== undefined ? { peakTensorMB: round(r.peakTensorMB, 1) } : {}),
    ...(r.version ? { version: r.version } : {}),
    ...(r.group !== undefined ? { group: r.group } : {}),
  });
}

/**
 * A human-readable table of results, and for each inference config measured on wasm (ours)
 * the time ratio of every other backend to wasm at 1 thread (below 1 = faster than ours).
 *
 * @example
 * ```ts
 * console.log(formatTable(results));
 * ```
 */
export function formatTable(results: BenchResult[]): string {
  const grouped = results.some((r) => r.group !== undefined);
  const head = [
    ...(grouped ? ['run'] : []),
    'backend',
    'task',
    'size',
    'ngf',
    'batch',
    'thr',
    'reps',
    'median ms',
    'min ms',
    'max ms',
    'GFLOP',
    'GFLOP/s',
    'RSS MB',
    'tensors MB',
  ];
  const rows = results.map((r) => [
    ...(grouped ? [String(r.group ?? '-')] : []),
    r.backend,
    r.task,
    String(r.size),
    String(r.ngf),
    String(r.batch),
    String(r.threads),
    String(r.reps),
    r1(r.msMedian),
    r1(r.msMin),
    r1(r.msMax),
    (r.flops / 1e9).toFixed(2),
    r.gflops.toFixed(2),
    r.peakRssMB !== undefined ? r.peakRssMB.toFixed(0) : '-',
    r.peakTensorMB !== undefined ? r.peakTensorMB.toFixed(0) : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < (grouped ? 3 : 2) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const ratios: string[] = [];
  for (const base of results.filter((r) => r.backend === 'wasm' && r.threads === 1)) {
    const others = results.filter(
      (r) =>
        r !== base &&
        r.group === base.group &&
        r.task === base.task &&
        r.size === base.size &&
        r.ngf === base.ngf &&
        r.batch === base.batch,
    );
    if (!others.length) continue;
    ratios.push(
      `${base.group !== undefined ? `[run ${base.group}] ` : ''}${base.task} ${base.size} ngf ${base.ngf} batch ${base.batch}: wasm ${r1(base.msMedian)} ms; ` +
        others
          .map(
            (o) =>
              `${o.backend} t${o.threads} ${r1(o.msMedian)} ms (wasm takes ${(base.msMedian / o.msMedian).toFixed(2)}x)`,
          )
          .join(', '),
    );
  }
  if (ratios.length) out.push('', 'Ratios within this run:', ...ratios.map((r) => `  ${r}`));
  return out.join('\n');
}
