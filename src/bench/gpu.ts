/**
 * The GPU benchmark: pix2pix inference (eval-mode G) and training steps on one backend (webgpu
 * in Node through Dawn by default) at the paper's size by default: UNet-256 (numDowns 8, ngf 64)
 * + 70x70 PatchGAN (ndf 64), batch 1. Reports per-call ms (median, min) and the tfjs kernels per
 * call, since on a GPU these steps are bound by the per-kernel overhead. Run as the `gpu` bench
 * task: `node scripts/bench-gpu.mjs` (see `src/bench/tasks.ts`).
 */
import { tf } from '../core/tf.js';
import { initBackend } from '../backends/index.js';
import type { BackendName } from '../backends/types.js';
import { Pix2PixModel } from '../pix2pix/model.js';
import { countKernels, type KernelCount } from './op-count.js';
import { summarize, timeCalls } from './timing.js';

/** Options of {@link benchGpu}. */
export interface GpuBenchOptions {
  /** @defaultValue 'webgpu' */
  backend?: BackendName;
  /** Generator filters, also the discriminator's ndf. @defaultValue 64 */
  ngf?: number;
  /** U-Net depth; the image is 2^numDowns square. @defaultValue 8 */
  numDowns?: number;
  /** Timed calls. @defaultValue 10 */
  steps?: number;
  /** Untimed calls first. @defaultValue 3 */
  warmup?: number;
}

/** One timed call kind of {@link benchGpu}. */
export interface GpuCallFigures {
  median: number;
  min: number;
  /** tfjs kernels one call invokes. */
  kernels: number;
  /** Of those, the ones that launch GPU work. */
  dispatching: number;
  /** GPU programs actually run (null on backends without programs). */
  programs: number | null;
}

/** What {@link benchGpu} measured. */
export interface GpuBenchResult {
  backend: string;
  adapter: unknown;
  software: boolean;
  /** Where it ran: the adapter, or the backend's reason. */
  where: string;
  config: {
    size: number;
    numDowns: number;
    ngf: number;
    ndf: number;
    batch: 1;
    warmup: number;
    steps: number;
  };
  infer: GpuCallFigures;
  train: GpuCallFigures & { top10: [string, number][] };
  /** GPU programs by name: of a training step, of an eval pass (empty without programs). */
  programs: { train: [string, number][]; infer: [string, number][] };
}

/**
 * Times eval-mode inference and training steps on one backend and counts their kernels.
 *
 * @example
 * ```ts
 * const r = await benchGpu({ backend: 'webgpu', ngf: 8, numDowns: 6 });
 * console.log(formatGpuBench(r));
 * ```
 */
export async function benchGpu(options: GpuBenchOptions = {}): Promise<GpuBenchResult> {
  const { backend = 'webgpu', ngf = 64, numDowns = 8, steps = 10, warmup = 3 } = options;
  const size = 2 ** numDowns;
  const info = (await initBackend(backend)) as Awaited<ReturnType<typeof initBackend>> & {
    adapter?: unknown;
    software?: boolean;
  };
  const model = new Pix2PixModel({
    generator: { numDowns, ngf },
    discriminator: { ndf: ngf, nLayers: 3 },
  });
  const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  try {
    const infer = async () => {
      const y = model.generate(a);
      await y.data();
      y.dispose();
    };
    const train = () => model.trainStep(a, b);
    const figures = async (
      fn: () => Promise<unknown>,
    ): Promise<GpuCallFigures & { count: KernelCount }> => {
      const s = summarize((await timeCalls(fn, { warmup, reps: steps })).ms);
      const { count } = await countKernels(fn);
      return {
        median: s.msMedian,
        min: s.msMin,
        kernels: count.total,
        dispatching: count.dispatching,
        programs: count.programs,
        count,
      };
    };
    const { count: inferCount, ...inferFigures } = await figures(infer);
    const { count, ...trainFigures } = await figures(train);
    return {
      backend: info.name,
      adapter: info.adapter ?? null,
      software: Boolean(info.software),
      where: info.adapter ? JSON.stringify(info.adapter) : info.reason,
      config: { size, numDowns, ngf, ndf: ngf, batch: 1, warmup, steps },
      infer: inferFigures,
      train: { ...trainFigures, top10: count.byKernel.slice(0, 10) },
      programs: { train: count.byProgram, infer: inferCount.byProgram },
    };
  } finally {
    tf.dispose([a, b]);
    model.dispose();
  }
}

/**
 * {@link benchGpu}'s figures as text lines (a warning first on a software adapter).
 *
 * @example
 * ```ts
 * console.log(formatGpuBench(await benchGpu()));
 * ```
 */
export function formatGpuBench(r: GpuBenchResult): string {
  const c = r.config;
  return [
    ...(r.software
      ? [
          `!! ${r.backend} runs on a software adapter/renderer (${r.where}): these are not GPU figures`,
        ]
      : []),
    `backend ${r.backend} on ${r.where}`,
    `UNet numDowns ${c.numDowns} ngf ${c.ngf} + PatchGAN ndf ${c.ndf}, ${c.size}x${c.size}, batch 1, ${c.warmup} warm-up + ${c.steps} timed calls`,
    `inference (eval G):  median ${r.infer.median.toFixed(1)} ms, min ${r.infer.min.toFixed(1)} ms, ${r.infer.kernels} kernels (${r.infer.dispatching} launch GPU work), ${r.infer.programs} GPU programs`,
    `training step:       median ${r.train.median.toFixed(1)} ms, min ${r.train.min.toFixed(1)} ms, ${r.train.kernels} kernels (${r.train.dispatching} launch GPU work), ${r.train.programs} GPU programs`,
    `  top kernels per step: ${r.train.top10.map(([n, k]) => `${n} ${k}`).join(', ')}`,
    ...(r.train.programs == null
      ? []
      : [
          `  programs per step: ${r.programs.train.map(([n, k]) => `${n} ${k}`).join(', ')}`,
          `  programs per eval G pass: ${r.programs.infer.map(([n, k]) => `${n} ${k}`).join(', ')}`,
        ]),
  ].join('\n');
}
