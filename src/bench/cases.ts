/**
 * Benchmark cases: the grid (task x size x ngf x backend x threads x batch), the filters that
 * narrow it, and the rules that skip what cannot run here (each skip with its reason).
 * Pure data and logic: no tfjs, no timing, so tests can drive it with simulated environments.
 */
import type { BackendName } from '../backends/types.js';
import { TF_BACKEND_NAMES } from '../backends/types.js';

/** What a case measures: one eval-mode generator forward, or one full `trainStep`. */
export type BenchTask = 'infer' | 'train';
/** tfjs backends plus the two onnxruntime peers (same network and weights, via the ONNX export). */
export type BenchBackend = BackendName | 'ort-web' | 'ort-node';

export const BENCH_TASKS: readonly BenchTask[] = ['infer', 'train'];
export const BENCH_BACKENDS: readonly BenchBackend[] = [...TF_BACKEND_NAMES, 'ort-web', 'ort-node'];
/** Backends run when no `--backend` is given (tfjs-cpu is plain JS: minutes per case; name it to run it). */
export const DEFAULT_BENCH_BACKENDS: readonly BenchBackend[] = BENCH_BACKENDS.filter(
  (b) => b !== 'cpu',
);
/** Side lengths of the grid. 512 runs the UNet-256 (numDowns 8) on a 512x512 image, inference only. */
export const BENCH_SIZES: readonly number[] = [64, 128, 256, 512];
export const DEFAULT_BENCH_SIZES: readonly number[] = [64, 128, 256];
export const DEFAULT_BENCH_NGF: readonly number[] = [16, 32, 64];
export const DEFAULT_BENCH_THREADS: readonly number[] = [1, 2];
export const DEFAULT_BENCH_BATCH: readonly number[] = [1];

/**
 * One benchmark case. The model is the reference's for that size (UNet-64/128/256: numDowns
 * 6/7/8; 512 uses the UNet-256), PatchGAN n_layers 3 with ndf = ngf, BatchNorm, seed 0.
 *
 * @example
 * ```ts
 * const c: BenchCase = { backend: 'wasm', task: 'infer', size: 256, ngf: 64, batch: 1, threads: 1, numDowns: 8 };
 * ```
 */
export interface BenchCase {
  backend: BenchBackend;
  task: BenchTask;
  size: number;
  ngf: number;
  batch: number;
  threads: number;
  numDowns: number;
}

/** Filters: each list narrows one axis; an absent list means that axis's default. */
export interface BenchFilters {
  backend?: BenchBackend[];
  task?: BenchTask[];
  size?: number[];
  ngf?: number[];
  threads?: number[];
  batch?: number[];
}

/**
 * What this runtime can run, as found by {@link probeBenchEnvironment} (or simulated in tests).
 *
 * @example
 * ```ts
 * const env: BenchEnvironment = { available: { wasm: [1], 'ort-node': [1, 2] }, unavailable: { webgl: 'no WebGL2 in Node' }, threadReasons: { wasm: 'single-threaded in Node' } };
 * ```
 */
export interface BenchEnvironment {
  /** Backends that can run, with the thread counts each can run with. */
  available: Partial<Record<BenchBackend, number[]>>;
  /** Why a backend cannot run. */
  unavailable: Partial<Record<BenchBackend, string>>;
  /** Why a backend cannot run some thread count (shown with the skip). */
  threadReasons?: Partial<Record<BenchBackend, string>>;
}

/** A group of cases that will not run, and why. */
export interface BenchSkip {
  backend: BenchBackend;
  task?: BenchTask;
  threads?: number;
  size?: number;
  reason: string;
}

/** numDowns of the reference model for a side length (512 reuses the UNet-256). */
export function numDownsFor(size: number): number {
  return size <= 64 ? 6 : size <= 128 ? 7 : 8;
}

function check<T>(
  name: string,
  values: readonly T[] | undefined,
  valid: (v: T) => boolean,
  expected: string,
): void {
  for (const v of values ?? []) {
    if (!valid(v))
      throw new RangeError(`Filter "--${name}" got ${JSON.stringify(v)}; expected ${expected}.`);
  }
}

/**
 * Validates filters (RangeError naming the filter and the valid values).
 *
 * @example
 * ```ts
 * validateFilters({ size: [100] }); // RangeError: Filter "--size" got 100; expected one of 64, 128, 256, 512.
 * ```
 */
export function validateFilters(f: BenchFilters): void {
  check(
    'backend',
    f.backend,
    (b) => BENCH_BACKENDS.includes(b),
    `one of ${BENCH_BACKENDS.join(', ')}`,
  );
  check('task', f.task, (t) => BENCH_TASKS.includes(t), `one of ${BENCH_TASKS.join(', ')}`);
  check('size', f.size, (s) => BENCH_SIZES.includes(s), `one of ${BENCH_SIZES.join(', ')}`);
  check('ngf', f.ngf, (n) => Number.isInteger(n) && n >= 1 && n <= 512, 'an integer from 1 to 512');
  check(
    'threads',
    f.threads,
    (n) => Number.isInteger(n) && n >= 1 && n <= 64,
    'an integer from 1 to 64',
  );
  check(
    'batch',
    f.batch,
    (n) => Number.isInteger(n) && n >= 1 && n <= 64,
    'an integer from 1 to 64',
  );
}

/**
 * Expands the filters into cases, in run order (backend, then model config, then task, then
 * threads, so that one model and one exported ONNX file serve consecutive cases), and lists what
 * is skipped: unavailable backends, training on the inference-only peers or at 512, thread counts
 * a backend cannot use here.
 *
 * @example
 * ```ts
 * const { cases, skipped } = selectCases({ task: ['infer'], size: [256], ngf: [64] }, await probeBenchEnvironment());
 * ```
 */
export function selectCases(
  filters: BenchFilters,
  env: BenchEnvironment,
): { cases: BenchCase[]; skipped: BenchSkip[] } {
  validateFilters(filters);
  const backends = filters.backend ?? DEFAULT_BENCH_BACKENDS;
  const tasks = filters.task ?? BENCH_TASKS;
  const sizes = filters.size ?? DEFAULT_BENCH_SIZES;
  const ngfs = filters.ngf ?? DEFAULT_BENCH_NGF;
  const threadsList = filters.threads ?? DEFAULT_BENCH_THREADS;
  const batches = filters.batch ?? DEFAULT_BENCH_BATCH;
  const cases: BenchCase[] = [];
  const skipped: BenchSkip[] = [];
  const skip = (s: BenchSkip) => {
    if (
      !skipped.some(
        (o) =>
          o.backend === s.backend &&
          o.task === s.task &&
          o.threads === s.threads &&
          o.size === s.size,
      )
    )
      skipped.push(s);
  };
  for (const backend of backends) {
    const threadsOk = env.available[backend];
    if (!threadsOk) {
      skip({ backend, reason: env.unavailable[backend] ?? 'not available here' });
      continue;
    }
    for (const size of sizes)
      for (const ngf of ngfs)
        for (const batch of batches)
          for (const task of tasks) {
            if (task === 'train' && backend.startsWith('ort-')) {
              skip({
                backend,
                task,
                reason:
                  'the onnxruntime peers run inference only (the ONNX export is the eval-mode generator)',
              });
              continue;
            }
            if (task === 'train' && size === 512) {
              skip({
                backend,
                task,
                size,
                reason: '512 is inference only: the UNet-256 translating a 512x512 image',
              });
              continue;
            }
            for (const threads of threadsList) {
              if (!threadsOk.includes(threads)) {
                const why =
                  env.threadReasons?.[backend] ??
                  `${backend} runs with ${threadsOk.join(' or ')} thread(s) here`;
                skip({ backend, threads, reason: why });
                continue;
              }
              cases.push({ backend, task, size, ngf, batch, threads, numDowns: numDownsFor(size) });
            }
          }
  }
  return { cases, skipped };
}
