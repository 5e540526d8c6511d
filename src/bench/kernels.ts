/**
 * Micro-benchmark of the wasm conv kernels on pix2pix's UNet-256 (ngf 64) shapes: stock
 * tfjs-backend-wasm `Conv2DBackpropInput` vs ours, our `Conv2DBackpropFilter`, and XNNPACK
 * `Conv2D` of the same size as a reference (GMAC/s), and end-to-end wasm inference / training
 * steps with a per-kernel CPU-time profile. Not a test (no timing assertions). Run as the
 * `kernels` bench task: `node scripts/bench-kernels.mjs` (see `src/bench/tasks.ts`).
 */
import { tf } from '../core/tf.js';
import { initBackend } from '../backends/index.js';
import { stockConv2dBackpropInput, stockConv2d } from '../backends/wasm-kernels/index.js';
import { Pix2PixModel } from '../pix2pix/model.js';
import { setWasmSimdEnabled } from '../backends/wasm-simd/index.js';
import { summarize, timeCalls } from './timing.js';

/** One benchmark row. */
export interface KernelBenchRow {
  name: string;
  gmac: number;
  stockGmacPerS?: number;
  oursGmacPerS: number;
  referenceGmacPerS?: number;
}

/** Mean seconds per call: two warm-up calls, then calls until `minSeconds` have passed (200 at most). */
async function timeIt(fn: () => void, minSeconds: number): Promise<number> {
  const { ms } = await timeCalls(fn, { warmup: 2, reps: 200, minSeconds });
  return summarize(ms).msMean / 1000;
}

function rand(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', 7);
}

/**
 * Runs the benchmark on the wasm backend and returns (and prints) one row per shape.
 *
 * @example
 * ```ts
 * const rows = await benchWasmKernels({ minSeconds: 0.2 });
 * ```
 */
export async function benchWasmKernels({
  minSeconds = 0.3,
  batch = 1,
}: { minSeconds?: number; batch?: number } = {}): Promise<KernelBenchRow[]> {
  await initBackend('wasm');
  const backend = tf.backend();
  const ours = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
  const stock = stockConv2dBackpropInput()!;
  const filterGrad = tf.getKernel('Conv2DBackpropFilter', 'wasm')!;
  const conv = tf.getKernel('Conv2D', 'wasm')!;
  const call =
    (k: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => () => {
      const out = k.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
      backend.disposeData(out.dataId);
    };
  const rows: KernelBenchRow[] = [];
  // UNet-256 decoder: ConvTranspose2d(inC -> outC, k4, s2, p1) on [b, h, h, inC] (inC includes the skip).
  const decoder: [number, number, number][] = [
    [1, 512, 512],
    [2, 1024, 512],
    [4, 1024, 512],
    [8, 1024, 512],
    [16, 1024, 256],
    [32, 512, 128],
    [64, 256, 64],
    [128, 128, 3],
  ];
  for (const [h, inC, outC] of decoder) {
    const x = rand([batch, h, h, inC]);
    const w = rand([4, 4, outC, inC]);
    const gmac = (batch * h * h * inC * outC * 16) / 1e9;
    const attrs = {
      strides: 2,
      pad: 1,
      dataFormat: 'NHWC',
      inputShape: [batch, 2 * h, 2 * h, outC],
    };
    const tStock = await timeIt(call(stock, { dy: x, filter: w }, attrs), minSeconds);
    const tOurs = await timeIt(call(ours, { dy: x, filter: w }, attrs), minSeconds);
    // Same MACs as a forward conv of the output [2h,2h,outC] -> inC (the encoder-side conv).
    const y = rand([batch, 2 * h, 2 * h, outC]);
    const tConv = await timeIt(
      call(conv, { x: y, filter: w }, { strides: 2, pad: 1, dataFormat: 'NHWC', dilations: 1 }),
      minSeconds,
    );
    // The decoder weight gradient: Conv2DBackpropFilter(x = dOut, dy = layer input).
    const tFilt = await timeIt(
      call(
        filterGrad,
        { x: y, dy: x },
        { strides: 2, pad: 1, dataFormat: 'NHWC', filterShape: [4, 4, outC, inC] },
      ),
      minSeconds,
    );
    rows.push({
      name: `convT [${batch},${h},${h},${inC}]->${outC} @${2 * h}`,
      gmac,
      stockGmacPerS: gmac / tStock,
      oursGmacPerS: gmac / tOurs,
      referenceGmacPerS: gmac / tConv,
    });
    rows.push({
      name: `  dW   [${batch},${2 * h},${2 * h},${outC}] x dy [${h},${h},${inC}]`,
      gmac,
      oursGmacPerS: gmac / tFilt,
      referenceGmacPerS: gmac / tConv,
    });
    tf.dispose([x, w, y]);
  }
  // D's stride-1 convs (k4 s1 p1) on a 256 input: [1,31,31,256]->512 and [1,30,30,512]->1.
  for (const [h, inC, outC] of [
    [31, 256, 512],
    [30, 512, 1],
  ] as const) {
    const oh = h - 1;
    const dy = rand([batch, oh, oh, outC]);
    const w = rand([4, 4, inC, outC]);
    const x = rand([batch, h, h, inC]);
    const gmac = (batch * oh * oh * inC * outC * 16) / 1e9;
    const attrs = { strides: 1, pad: 1, dataFormat: 'NHWC', inputShape: [batch, h, h, inC] };
    const tStock = await timeIt(call(stock, { dy, filter: w }, attrs), minSeconds);
    const tOurs = await timeIt(call(ours, { dy, filter: w }, attrs), minSeconds);
    const tConv = await timeIt(
      call(conv, { x, filter: w }, { strides: 1, pad: 1, dataFormat: 'NHWC', dilations: 1 }),
      minSeconds,
    );
    const tFilt = await timeIt(
      call(
        filterGrad,
        { x, dy },
        { strides: 1, pad: 1, dataFormat: 'NHWC', filterShape: [4, 4, inC, outC] },
      ),
      minSeconds,
    );
    rows.push({
      name: `dx s1 [${batch},${h},${h},${inC}]<-${outC}`,
      gmac,
      stockGmacPerS: gmac / tStock,
      oursGmacPerS: gmac / tOurs,
      referenceGmacPerS: gmac / tConv,
    });
    rows.push({
      name: `  dW s1 [${batch},${h},${h},${inC}]->${outC}`,
      gmac,
      oursGmacPerS: gmac / tFilt,
      referenceGmacPerS: gmac / tConv,
    });
    tf.dispose([dy, w, x]);
  }
  const f = (v?: number) => (v === undefined ? '     -' : v.toFixed(2).padStart(6));
  console.log(`wasm GMAC/s (batch ${batch}); ref = XNNPACK Conv2D with the same MACs`);
  console.log(`${'shape'.padEnd(44)}  GMAC  stock   ours  ratio    ref`);
  for (const r of rows) {
    const ratio = r.stockGmacPerS
      ? (r.oursGmacPerS / r.stockGmacPerS).toFixed(1).padStart(5) + 'x'
      : '     -';
    console.log(
      `${r.name.padEnd(44)} ${r.gmac.toFixed(3)} ${f(r.stockGmacPerS)} ${f(r.oursGmacPerS)} ${ratio} ${f(r.referenceGmacPerS)}`,
    );
  }
  return rows;
}

/**
 * Process CPU time in ms (user + system). On a shared machine wall time swings 2-4x with other
 * processes' load while CPU time of this (single-threaded wasm) process barely moves, so the
 * figures below are given in both.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Time per kernel name (or name and input shapes), top-level calls only (CPU ms). */
export interface KernelProfileRow {
  kernel: string;
  /** Process CPU time (all threads). */
  ms: number;
  /** Wall time. */
  wallMs: number;
  calls: number;
}

/**
 * Wraps every registered wasm kernel with a CPU-time timer while `body` runs; nested kernel calls
 * (our composed kernels calling others) count toward their caller only. Wasm kernels are
 * synchronous, so time inside `kernelFunc` is the kernel's time.
 *
 * @example
 * ```ts
 * const rows = await profileWasmKernels(() => model.generate(x).data(), { byShape: true });
 * ```
 */
export async function profileWasmKernels(
  body: () => Promise<unknown>,
  { byShape = false }: { byShape?: boolean } = {},
): Promise<KernelProfileRow[]> {
  const stats = new Map<string, KernelProfileRow>();
  const restore: (() => void)[] = [];
  let depth = 0;
  for (const k of tf.getKernelsForBackend('wasm')) {
    const original = k.kernelFunc;
    const config = k as { kernelFunc: tf.KernelFunc };
    config.kernelFunc = (args) => {
      if (depth > 0) return original(args);
      depth++;
      const t0 = cpuMs();
      const w0 = performance.now();
      try {
        return original(args);
      } finally {
        depth--;
        const ms = cpuMs() - t0;
        const wallMs = performance.now() - w0;
        const shapes = byShape
          ? ' ' +
            Object.values(args.inputs)
              .map((x) => `[${(x as tf.TensorInfo)?.shape ?? ''}]`)
              .join(' ')
          : '';
        const key = k.kernelName + shapes;
        const row = stats.get(key) ?? { kernel: key, ms: 0, wallMs: 0, calls: 0 };
        row.ms += ms;
        row.wallMs += wallMs;
        row.calls++;
        stats.set(key, row);
      }
    };
    restore.push(() => (config.kernelFunc = original));
  }
  try {
    await body();
  } finally {
    restore.forEach((r) => r());
  }
  return [...stats.values()].sort((a, b) => b.ms - a.ms);
}

/** End-to-end figures of one pix2pix configuration on wasm. */
export interface ModelBenchResult {
  what: string;
  msEach: number[];
  medianMs: number;
  minMs: number;
  /** Process CPU time per run. */
  cpuMsEach: number[];
  cpuMedianMs: number;
  profile: KernelProfileRow[];
}

/**
 * Times UNet inference (`generate`, eval mode) or a full training step on the wasm backend:
 * `warmup` untimed runs (enough for the weight caches to fill), then `reps` timed ones, then one
 * profiled run (per-kernel times). `stockBackpropInput` swaps in tfjs's own Conv2D and
 * Conv2DBackpropInput for a before/after comparison in one process (inference only: the stock
 * backend has no Conv2DBackpropFilter).
 *
 * @example
 * ```ts
 * const r = await benchWasmModel({ mode: 'infer', size: 256, ngf: 64 });
 * console.log(r.medianMs);
 * ```
 */
export async function benchWasmModel({
  mode,
  size,
  ngf,
  reps = 5,
  warmup = 3,
  stockBackpropInput = false,
  byShape = false,
  threads,
  ownSimd = true,
}: {
  mode: 'infer' | 'train';
  size: number;
  ngf: number;
  reps?: number;
  warmup?: number;
  stockBackpropInput?: boolean;
  /** Profile rows per kernel and input shapes. */
  byShape?: boolean;
  /** XNNPACK threads (the backend's default when not given; fixed once it has started). */
  threads?: number;
  /** false: the own SIMD kernels off (Adam's JS loop, dW on XNNPACK matmuls), for before/after. */
  ownSimd?: boolean;
}): Promise<ModelBenchResult> {
  const info = await initBackend('wasm', threads === undefined ? {} : { threads });
  setWasmSimdEnabled(ownSimd);
  const swaps = [
    ['Conv2DBackpropInput', stockConv2dBackpropInput()!],
    ['Conv2D', stockConv2d()!],
  ] as const;
  const registered = swaps.map(
    ([name]) => tf.getKernel(name, 'wasm') as { kernelFunc: tf.KernelFunc },
  );
  const oursFuncs = registered.map((r) => r.kernelFunc);
  if (stockBackpropInput)
    swaps.forEach(([, stock], i) => (registered[i].kernelFunc = stock.kernelFunc));
  try {
    const numDowns = Math.round(Math.log2(size));
    const model = new Pix2PixModel({ generator: { ngf, numDowns }, discriminator: { ndf: ngf } });
    const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const once = async (): Promise<void> => {
      if (mode === 'train') {
        await model.trainStep(a, b);
      } else {
        const y = model.generate(a);
        await y.data();
        y.dispose();
      }
    };
    const { ms: msEach, cpuMs: cpuMsEach = [] } = await timeCalls(once, { warmup, reps });
    const profile = await profileWasmKernels(once, { byShape });
    tf.dispose([a, b]);
    model.dispose();
    const what = `${mode} ${size}x${size} ngf ${ngf}${stockBackpropInput ? ' (stock Conv2D and Conv2DBackpropInput)' : ''}${ownSimd ? '' : ' (own SIMD kernels off)'}, ${info.threads} thread(s)`;
    return {
      what,
      msEach,
      medianMs: summarize(msEach).msMedian,
      minMs: Math.min(...msEach),
      cpuMsEach,
      cpuMedianMs: summarize(cpuMsEach).msMedian,
      profile,
    };
  } finally {
    setWasmSimdEnabled(true);
    registered.forEach((r, i) => (r.kernelFunc = oursFuncs[i]));
  }
}

/**
 * The figures of {@link benchWasmModel} as text, with the `top` kernels by CPU time.
 *
 * @example
 * ```ts
 * console.log(formatModelResult(await benchWasmModel({ mode: 'train', size: 128, ngf: 32 })));
 * ```
 */
export function formatModelResult(r: ModelBenchResult, top = 12): string {
  const total = r.profile.reduce((a, p) => a + p.ms, 0);
  const list = (v: number[]): string => v.map((t) => t.toFixed(0)).join(' ');
  const lines = [
    `\n${r.what}: wall median ${r.medianMs.toFixed(0)} ms, min ${r.minMs.toFixed(0)} ms (${list(r.msEach)}); CPU median ${r.cpuMedianMs.toFixed(0)} ms (${list(r.cpuMsEach)}); profiled run, kernels' CPU time ${total.toFixed(0)} ms:`,
  ];
  for (const p of r.profile.slice(0, top)) {
    lines.push(
      `  ${p.ms.toFixed(1).padStart(8)} ms ${((100 * p.ms) / total).toFixed(1).padStart(5)}% (wall ${p.wallMs.toFixed(1).padStart(8)} ms) ${String(p.calls).padStart(4)}x ${p.kernel}`,
    );
  }
  return lines.join('\n');
}

/** One row of {@link benchTrainingConvs}: CPU ms per call of each form. */
export interface TrainingConvRow {
  name: string;
  gmac: number;
  /** CPU ms per call by form (`xnnpack` = the form the XNNPACK cost model picks). */
  ms: Record<string, number>;
}

/**
 * The conv calls of a UNet-256 ngf 64 + PatchGAN training step whose weights are new every call
 * (each call gets a fresh copy of its weights, as in training: XNNPACK cannot reuse a packing),
 * timed in process CPU ms per call: the XNNPACK forms vs the own SIMD module's direct kernels,
 * interleaved round by round (median of `rounds`). For the cost models of
 * src/backends/wasm-kernels/conv2d.ts and conv2d-backprop-input.ts.
 *
 * @example
 * ```ts
 * await benchTrainingConvs({ rounds: 3 });
 * ```
 */
export async function benchTrainingConvs({ rounds = 3 }: { rounds?: number } = {}): Promise<
  TrainingConvRow[]
> {
  await initBackend('wasm');
  const backend = tf.backend() as unknown as import('@tensorflow/tfjs-backend-wasm').BackendWasm;
  const { makeConv2dWasm, makeConv2dBackpropInputWasm } =
    await import('../backends/wasm-kernels/index.js');
  const forms = {
    conv: {
      stock: makeConv2dWasm(stockConv2d()!, { force: 'stock' }),
      'im2col-matmul': makeConv2dWasm(stockConv2d()!, { force: 'im2col-matmul' }),
      'simd-direct': makeConv2dWasm(stockConv2d()!, { force: 'simd-direct' }),
    },
    bpi: {
      'matmul-col2im': makeConv2dBackpropInputWasm(stockConv2dBackpropInput()!, {
        force: 'matmul-col2im',
      }),
      conv: makeConv2dBackpropInputWasm(stockConv2dBackpropInput()!, { force: 'conv' }),
      'simd-direct': makeConv2dBackpropInputWasm(stockConv2dBackpropInput()!, {
        force: 'simd-direct',
      }),
    },
  } as Record<'conv' | 'bpi', Record<string, tf.KernelFunc>>;
  // [x (conv input = dx), filter [k, k, ci, co], stride, pad]
  const shapes: [number[], number[], number, number][] = [
    [[1, 2, 2, 512], [4, 4, 512, 512], 2, 1],
    [[1, 4, 4, 512], [4, 4, 512, 512], 2, 1],
    [[1, 4, 4, 512], [4, 4, 512, 1024], 2, 1],
    [[1, 8, 8, 512], [4, 4, 512, 1024], 2, 1],
    [[1, 16, 16, 512], [4, 4, 512, 1024], 2, 1],
    [[1, 16, 16, 512], [4, 4, 512, 512], 2, 1],
    [[1, 32, 32, 256], [4, 4, 256, 1024], 2, 1],
    [[1, 32, 32, 256], [4, 4, 256, 512], 2, 1],
    [[1, 32, 32, 256], [4, 4, 256, 512], 1, 1],
    [[1, 64, 64, 128], [4, 4, 128, 256], 2, 1],
    [[1, 128, 128, 64], [4, 4, 64, 128], 2, 1],
    [[1, 256, 256, 6], [4, 4, 6, 64], 2, 1],
    [[1, 256, 256, 3], [4, 4, 3, 64], 2, 1],
  ];
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const rows: TrainingConvRow[] = [];
  const only = process.env.BENCH_SHAPES?.split(';');
  for (const [xs, ws, s, pad] of shapes) {
    if (only && !only.includes(`[${xs}] * [${ws}] s${s}`)) continue;
    const x = rand(xs);
    const w0 = rand(ws);
    const info = tf.backend_util.computeConv2DInfo(
      xs as [number, number, number, number],
      ws as [number, number, number, number],
      s,
      1,
      pad,
    );
    const dy = rand([xs[0]!, info.outHeight, info.outWidth, ws[3]!]);
    const gmac = (xs[0]! * info.outHeight * info.outWidth * ws.reduce((a, b) => a * b)) / 1e9;
    const fresh = (): tf.TensorInfo => {
      const t = backend.makeOutput(ws, 'float32');
      (backend.typedArrayFromHeap(t) as Float32Array).set(
        backend.typedArrayFromHeap(w0 as unknown as tf.TensorInfo) as Float32Array,
      );
      return t;
    };
    const runs: Record<string, () => void> = {};
    for (const [kind, fs] of Object.entries(forms))
      for (const [form, f] of Object.entries(fs))
        runs[`${kind === 'conv' ? 'y' : 'dx'} ${form}`] = () => {
          const filter = fresh();
          const out = (
            kind === 'conv'
              ? f({
                  inputs: { x, filter },
                  backend,
                  attrs: { strides: s, pad, dataFormat: 'NHWC', dilations: 1 },
                } as never)
              : f({
                  inputs: { dy, filter },
                  backend,
                  attrs: { strides: s, pad, dataFormat: 'NHWC', inputShape: xs },
                } as never)
          ) as tf.TensorInfo;
          backend.disposeData(out.dataId);
          backend.disposeData(filter.dataId);
        };
    const each: Record<string, number[]> = {};
    for (const f of Object.values(runs)) f();
    for (let r = 0; r < rounds; r++)
      for (const [name, f] of Object.entries(runs)) {
        const t0 = cpu();
        f();
        (each[name] ??= []).push(cpu() - t0);
      }
    const ms = Object.fromEntries(Object.entries(each).map(([k, v]) => [k, summarize(v).msMedian]));
    rows.push({ name: `[${xs}] * [${ws}] s${s}`, gmac, ms });
    const list = Object.entries(ms)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ');
    console.log(`${rows.at(-1)!.name.padEnd(38)} ${gmac.toFixed(3)} GMAC, CPU ms: ${list}`);
    tf.dispose([x, w0, dy]);
  }
  return rows;
}
