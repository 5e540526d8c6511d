/**
 * The one timing helper of the benchmarks: {@link timeCall} measures one call (wall time, and the
 * process's CPU time in Node), {@link timeCalls} warms up and repeats it under a repetition and
 * time budget, {@link summarize} gives median, quartiles and extremes. The harness (sequential and
 * interleaved), the wasm kernel benchmark and the GPU benchmark all time through these.
 */

/** One measured call. */
export interface CallTime {
  /** Wall-clock milliseconds. */
  ms: number;
  /** Process CPU milliseconds (user + system), where the runtime reports it (Node). */
  cpuMs?: number;
}

/** Budget of {@link timeCalls}. */
export interface TimingOptions {
  /** Untimed calls first. @defaultValue 1 */
  warmup?: number;
  /** Timed calls at most. @defaultValue 5 */
  reps?: number;
  /** Stop adding timed calls once this many seconds have passed since the warm-up started (at least one timed call). @defaultValue Infinity */
  maxSeconds?: number;
  /** Keep adding timed calls (up to `reps`) until this many seconds of timed calls have passed. @defaultValue 0 */
  minSeconds?: number;
  /** Runs instead of `fn` for the first warm-up call (e.g. a profiled run). */
  firstWarmup?: () => unknown;
  /** Called after every call, warm-up included (e.g. to sample memory). */
  after?: () => void;
}

/** What {@link timeCalls} measured. */
export interface Timings {
  /** Wall ms of each timed call, in order. */
  ms: number[];
  /** CPU ms of each timed call, in order (Node only). */
  cpuMs?: number[];
}

/** Median, quartiles and extremes of a list of times. */
export interface TimeSummary {
  msMedian: number;
  msMin: number;
  msMax: number;
  msQ1: number;
  msQ3: number;
  /** Arithmetic mean (what a rate over many short calls divides by). */
  msMean: number;
}

const proc = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } })
  .process;

function cpuNow(): number | undefined {
  const u = proc?.cpuUsage?.();
  return u ? (u.user + u.system) / 1000 : undefined;
}

/**
 * Times one call of `fn` (awaited).
 *
 * @example
 * ```ts
 * const { ms, cpuMs } = await timeCall(() => model.trainStep(a, b));
 * ```
 */
export async function timeCall(fn: () => unknown): Promise<CallTime> {
  const c0 = cpuNow();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const c1 = cpuNow();
  return c0 === undefined || c1 === undefined ? { ms } : { ms, cpuMs: c1 - c0 };
}

/**
 * Warms up, then times repeated calls of `fn` within the budget.
 *
 * @example
 * ```ts
 * const t = await timeCalls(() => model.generate(x).data(), { warmup: 2, reps: 10, maxSeconds: 60 });
 * console.log(summarize(t.ms).msMedian);
 * ```
 */
export async function timeCalls(fn: () => unknown, opts: TimingOptions = {}): Promise<Timings> {
  const { warmup = 1, reps = 5, maxSeconds = Infinity, minSeconds = 0, firstWarmup, after } = opts;
  const start = performance.now();
  for (let i = 0; i < warmup; i++) {
    await (i === 0 && firstWarmup ? firstWarmup() : fn());
    after?.();
  }
  const ms: number[] = [];
  const cpu: number[] = [];
  const timedStart = performance.now();
  while (ms.length < reps) {
    const t = await timeCall(fn);
    ms.push(t.ms);
    if (t.cpuMs !== undefined) cpu.push(t.cpuMs);
    after?.();
    const now = performance.now();
    if ((now - start) / 1000 > maxSeconds) break;
    if (minSeconds > 0 && (now - timedStart) / 1000 >= minSeconds) break;
  }
  return cpu.length === ms.length ? { ms, cpuMs: cpu } : { ms };
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Median, quartiles (linear interpolation), extremes and mean of a list of times.
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]); // { msMedian: 2, msMin: 1, msMax: 3, msQ1: 1.5, msQ3: 2.5, msMean: 2 }
 * ```
 */
export function summarize(ms: number[]): TimeSummary {
  const s = [...ms].sort((a, b) => a - b);
  return {
    msMedian: quantile(s, 0.5),
    msMin: s[0],
    msMax: s[s.length - 1],
    msQ1: quantile(s, 0.25),
    msQ3: quantile(s, 0.75),
    msMean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}
