/**
 * The benchmark tasks run from the command line (Node), typed and checked like the rest of the
 * sources: `gpu` (timings and kernel counts on one backend), `count-ops` (kernel tables),
 * `kernels` (wasm conv kernels and end-to-end wasm runs with a per-kernel profile). Each parses its
 * options with the CLI's shared helper; `scripts/bench-task.ts` is the entry that runs one, and
 * `scripts/bench-gpu.mjs`, `scripts/count-ops.mjs`, `scripts/bench-kernels.mjs` bundle it.
 *
 * @example
 * ```ts
 * process.exitCode = await benchTasks.gpu.run(['--backend', 'cpu', '--ngf', '4', '--num-downs', '6']);
 * ```
 */
import type { BackendName } from '../backends/types.js';
import { TF_BACKEND_NAMES } from '../backends/types.js';
import type { NormKind } from '../pix2pix/config.js';
import { defineCommand, num, oneOf, type Command } from '../cli/command.js';
import { benchGpu, formatGpuBench } from './gpu.js';
import { countOps, formatOpCounts } from './count-ops.js';
import {
  benchTrainingConvs,
  benchWasmKernels,
  benchWasmModel,
  formatModelResult,
} from './kernels.js';

const BACKENDS: readonly BackendName[] = TF_BACKEND_NAMES;

const gpu = defineCommand({
  name: 'gpu',
  invocation: 'node scripts/bench-gpu.mjs',
  usage: `Usage: node scripts/bench-gpu.mjs [--backend webgpu|webgl|wasm|cpu] [--ngf 64] [--num-downs 8] [--steps 10] [--warmup 3] [--json]

pix2pix inference (eval-mode G) and training steps on one backend (webgpu in Node through Dawn by
default), UNet-256 ngf 64 + PatchGAN ndf 64, batch 1: per-call ms (median, min) and tfjs kernels
per call. Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan driver (software, a smoke test):
  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node scripts/bench-gpu.mjs --ngf 8 --num-downs 6`,
  options: {
    backend: { type: 'string' },
    ngf: { type: 'string' },
    'num-downs': { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run({ values }, io) {
    const r = await benchGpu({
      backend: oneOf(values, 'backend', BACKENDS, 'webgpu'),
      ngf: num(values, 'ngf', 64, { int: true, min: 1 }),
      numDowns: num(values, 'num-downs', 8, { int: true, min: 1 }),
      steps: num(values, 'steps', 10, { int: true, min: 1 }),
      warmup: num(values, 'warmup', 3, { int: true, min: 0 }),
    });
    io.out(values.json ? JSON.stringify(r) : formatGpuBench(r));
    return 0;
  },
});

const countOpsTask = defineCommand({
  name: 'count-ops',
  invocation: 'node scripts/count-ops.mjs',
  usage: `Usage: node scripts/count-ops.mjs [--backend cpu|wasm|webgpu|webgl] [--ngf 4] [--num-downs 8] [--norm batch|instance|none] [--top 40] [--json]

Counts the tfjs kernels of one steady-state training step and one eval-mode generator pass, by
kernel name (the count depends on the topology, not on the image size or width).`,
  options: {
    backend: { type: 'string' },
    ngf: { type: 'string' },
    'num-downs': { type: 'string' },
    norm: { type: 'string' },
    top: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run({ values }, io) {
    const c = await countOps({
      backend: oneOf(values, 'backend', BACKENDS, 'cpu'),
      ngf: num(values, 'ngf', 4, { int: true, min: 1 }),
      numDowns: num(values, 'num-downs', 8, { int: true, min: 1 }),
      norm: oneOf<NormKind>(values, 'norm', ['batch', 'instance', 'none'], 'batch'),
    });
    io.out(
      values.json
        ? JSON.stringify(c)
        : formatOpCounts(c, num(values, 'top', 40, { int: true, min: 1 })),
    );
    return 0;
  },
});

const kernels = defineCommand({
  name: 'kernels',
  invocation: 'node scripts/bench-kernels.mjs',
  usage: `Usage: node scripts/bench-kernels.mjs [--bench kernels|infer|train|train-convs] [--batch 1] [--reps 5] [--size 128|256] [--top 12] [--by-shape] [--threads N] [--no-own-simd] [--no-stock]

kernels: the wasm conv kernels on UNet-256 ngf 64 shapes (stock Conv2DBackpropInput vs ours, our
         Conv2DBackpropFilter, XNNPACK Conv2D as a reference), GMAC/s
infer:   UNet-256 ngf 64 inference, ours vs stock Conv2D/Conv2DBackpropInput, per-kernel table
train:   training steps at 128 ngf 32 and 256 ngf 64 (--size picks one), per-kernel table
train-convs: the training step's conv calls with new weights each call, XNNPACK forms vs the
         own SIMD direct kernels, CPU ms per call (--reps rounds, interleaved)
--threads N: wasm threads for infer/train (default: one per core); --no-own-simd: pix2pix-ts's
         own SIMD kernels off (Adam as a JS loop, dW on XNNPACK matmuls), the before of a
         before/after; --no-stock: infer without the stock-kernel run
The environment variables BENCH, BENCH_BATCH, BENCH_REPS, BENCH_SIZE, BENCH_TOP and
BENCH_BYSHAPE=1 are read as defaults of these options.`,
  options: {
    bench: { type: 'string' },
    batch: { type: 'string' },
    reps: { type: 'string' },
    size: { type: 'string' },
    top: { type: 'string' },
    'by-shape': { type: 'boolean' },
    threads: { type: 'string' },
    'no-own-simd': { type: 'boolean' },
    'no-stock': { type: 'boolean' },
  },
  async run({ values }, io) {
    const env = (typeof process !== 'undefined' ? process.env : {}) as Record<
      string,
      string | undefined
    >;
    const v = {
      bench: env.BENCH,
      batch: env.BENCH_BATCH,
      reps: env.BENCH_REPS,
      size: env.BENCH_SIZE,
      top: env.BENCH_TOP,
      ...values,
    };
    const what = oneOf(
      v,
      'bench',
      ['kernels', 'infer', 'train', 'train-convs'] as const,
      'kernels',
    );
    if (what === 'train-convs') {
      await benchTrainingConvs({ rounds: num(v, 'reps', 3, { int: true, min: 1 }) });
      return 0;
    }
    if (what === 'kernels') {
      await benchWasmKernels({ batch: num(v, 'batch', 1, { int: true, min: 1 }) });
      return 0;
    }
    const reps = num(v, 'reps', 5, { int: true, min: 1 });
    const size = v.size === undefined ? undefined : num(v, 'size', 0, { int: true });
    const byShape = values['by-shape'] ?? env.BENCH_BYSHAPE === '1';
    const runs: Parameters<typeof benchWasmModel>[0][] =
      what === 'infer'
        ? [
            { mode: 'infer' as const, size: 256, ngf: 64, reps },
            { mode: 'infer' as const, size: 256, ngf: 64, reps, stockBackpropInput: true },
          ].filter((r) => !(values['no-stock'] && r.stockBackpropInput))
        : [
            { mode: 'train' as const, size: 128, ngf: 32, reps },
            { mode: 'train' as const, size: 256, ngf: 64, reps: Math.min(reps, 3), warmup: 1 },
          ].filter((r) => size === undefined || r.size === size);
    const threads =
      values.threads === undefined ? undefined : num(values, 'threads', 1, { int: true, min: 1 });
    const ownSimd = !values['no-own-simd'];
    for (const r of runs)
      io.out(
        formatModelResult(
          await benchWasmModel({ ...r, byShape, ownSimd, ...(threads ? { threads } : {}) }),
          num(v, 'top', 12, { int: true, min: 1 }),
        ),
      );
    return 0;
  },
});

/** The bench tasks by name. */
export const benchTasks: Record<'gpu' | 'count-ops' | 'kernels', Command> = {
  gpu,
  'count-ops': countOpsTask,
  kernels,
};
