/**
 * Helper threads for the own SIMD kernels (Node `worker_threads`; in browsers Web Workers), each
 * running the same compiled module on tfjs's shared memory (the threaded binary's), so a kernel
 * can split its work and every thread reads and writes tensors in place. Work is handed over
 * through a small SharedArrayBuffer per helper with `Atomics` (the kernels are synchronous: the
 * calling thread computes its share and then waits until the helpers are done; a page's main
 * thread, which may not block in `Atomics.wait`, spins on the control word instead).
 */
import { nodeBuiltin } from '../../core/env.js';

/** The most int arguments of a kernel run on a helper. */
const MAX_ARGS = 24;
/** Words of one helper's control block: [state, function, argument count, arguments]. */
const WORDS = 3 + MAX_ARGS;
/** The kernels a helper runs, by the index {@link SimdPool.post} takes. */
export const POOL_KERNELS = [
  'conv2d_backprop_filter',
  'conv2d_direct',
  'conv_transpose_direct',
] as const;
/** A kernel a helper can run. */
export type PoolKernel = (typeof POOL_KERNELS)[number];
/** Below this many multiply-adds per thread a kernel is not split between threads. */
export const MIN_MACS_PER_THREAD = 4_000_000;

/**
 * How many parts (the calling thread's and the helpers') to split a kernel of `macs` multiply-adds
 * over `units` independent pieces into: 1 without helpers, else at most one per thread and per
 * piece, with at least {@link MIN_MACS_PER_THREAD} multiply-adds each.
 */
export function partCount(pool: SimdPool | undefined, units: number, macs: number): number {
  return pool
    ? Math.max(1, Math.min(pool.size + 1, units, Math.floor(macs / MIN_MACS_PER_THREAD)))
    : 1;
}

/**
 * Runs `kernel` in `parts` parts: part p > 0 on helper p - 1, part 0 through `here` on the calling
 * thread, then waits for the helpers. When anything throws, every helper already started is still
 * waited for before the error goes on: helpers read and write tensors the caller then frees.
 */
export function runParts(
  pool: SimdPool | undefined,
  parts: number,
  kernel: PoolKernel,
  args: (part: number) => number[],
  here: (args: number[]) => void,
): void {
  let posted = 0;
  try {
    for (; posted < parts - 1; posted++) pool!.post(posted, args(posted + 1), kernel);
    here(args(0));
    for (let i = 0; i < posted; i++) pool!.wait(i);
    posted = 0;
  } finally {
    for (let i = 0; i < posted; i++) {
      try {
        pool!.wait(i);
      } catch {
        /* already failing */
      }
    }
  }
}

const IDLE = 0,
  RUN = 1,
  EXIT = 2,
  FAILED = 3,
  STARTING = 4;

/** The helper's loop, once its instance and control block exist (`inst`, `c`). */
const LOOP = `
const fns = ${JSON.stringify(POOL_KERNELS)}.map((n) => inst.exports[n]);
Atomics.compareExchange(c, 0, ${STARTING}, ${IDLE});
for (;;) {
  Atomics.wait(c, 0, ${IDLE});
  const s = Atomics.load(c, 0);
  if (s === ${EXIT}) break;
  if (s !== ${RUN}) continue;
  try {
    fns[c[1]](...Array.from(c.subarray(3, 3 + c[2])));
    Atomics.store(c, 0, ${IDLE});
  } catch (e) {
    Atomics.store(c, 0, ${FAILED});
  }
  Atomics.notify(c, 0);
}
`;

/** The helper's script in Node (CommonJS, run with `eval: true`). */
const NODE_HELPER = `
const { workerData } = require('node:worker_threads');
const inst = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
const c = new Int32Array(workerData.control);
${LOOP}`;

/** The helper's script in browsers (a classic worker from a Blob URL; its first message starts it). */
const WEB_HELPER = `
onmessage = (e) => {
  onmessage = null;
  const inst = new WebAssembly.Instance(e.data.module, { env: { memory: e.data.memory } });
  const c = new Int32Array(e.data.control);
  ${LOOP}
};`;

interface WebWorkerLike {
  postMessage(m: unknown): void;
  terminate(): void;
}

/** Whether this thread may block in `Atomics.wait` (a page's main thread may not). */
let canBlock: boolean | undefined;

interface Helper {
  control: Int32Array;
  worker: { terminate(): unknown };
}

/** A fixed set of helper threads for one module on one shared memory. */
export class SimdPool {
  private constructor(private readonly helpers: Helper[]) {}

  /**
   * Starts `count` helpers: Node `worker_threads` (unref'd: they keep no process alive), or in
   * browsers Web Workers from a Blob URL (the memory is shared only in cross-origin-isolated
   * pages). Undefined when `count` < 1, the memory is not shared, or there are no workers here.
   * A browser helper starts asynchronously; {@link size} counts only the helpers ready so far.
   */
  static start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
  ): SimdPool | undefined {
    if (count < 1 || !(memory.buffer instanceof SharedArrayBuffer)) return undefined;
    const wt = nodeBuiltin('node:worker_threads');
    if (!wt) return SimdPool.startWeb(module, memory, count);
    const helpers: Helper[] = [];
    for (let i = 0; i < count; i++) {
      // IDLE at once: work posted before the helper has started waits for it (Node starts it
      // on a thread of its own, whatever the calling thread does meanwhile).
      const control = new Int32Array(new SharedArrayBuffer(WORDS * 4));
      const worker = new wt.Worker(NODE_HELPER, {
        eval: true,
        workerData: { module, memory, control: control.buffer },
      });
      worker.unref();
      helpers.push({ control, worker });
    }
    return new SimdPool(helpers);
  }

  private static startWeb(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
  ): SimdPool | undefined {
    const W = (globalThis as { Worker?: new (url: string) => WebWorkerLike }).Worker;
    if (typeof W !== 'function' || typeof Blob !== 'function' || typeof URL === 'undefined')
      return undefined;
    const url = URL.createObjectURL(new Blob([WEB_HELPER], { type: 'text/javascript' }));
    const helpers: Helper[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const control = new Int32Array(new SharedArrayBuffer(WORDS * 4));
        control[0] = STARTING;
        const worker = new W(url);
        worker.postMessage({ module, memory, control: control.buffer });
        helpers.push({ control, worker });
      }
    } finally {
      // The workers have fetched (or will fetch) their script; the URL is not needed after that.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }
    return new SimdPool(helpers);
  }

  /**
   * Helper threads ready to take work (the calling thread is one more): the first ones that have
   * started, in order.
   */
  get size(): number {
    let n = 0;
    while (n < this.helpers.length && Atomics.load(this.helpers[n]!.control, 0) !== STARTING) n++;
    return n;
  }

  /**
   * Starts `kernel(...args)` (int arguments: pointers and sizes) on helper `i`; {@link wait} for it.
   */
  post(i: number, args: number[], kernel: PoolKernel = 'conv2d_backprop_filter'): void {
    const c = this.helpers[i]!.control;
    if (Atomics.load(c, 0) !== IDLE) throw new Error('SimdPool: helper is busy');
    if (args.length > MAX_ARGS)
      throw new Error(`SimdPool: ${args.length} arguments, at most ${MAX_ARGS}`);
    c[1] = POOL_KERNELS.indexOf(kernel);
    c[2] = args.length;
    for (let k = 0; k < args.length; k++) c[3 + k] = args[k]!;
    Atomics.store(c, 0, RUN);
    Atomics.notify(c, 0);
  }

  /**
   * Resolves once every helper has started (browser helpers start asynchronously), or after
   * `timeoutMs`; resolves to the number ready.
   */
  async whenReady(timeoutMs = 5000): Promise<number> {
    const t0 = Date.now();
    while (this.size < this.helpers.length && Date.now() - t0 < timeoutMs)
      await new Promise((r) => setTimeout(r, 10));
    return this.size;
  }

  /** Blocks until helper `i` has finished what {@link post} gave it; throws if it failed. */
  wait(i: number): void {
    const c = this.helpers[i]!.control;
    const t0 = Date.now();
    for (;;) {
      const s = Atomics.load(c, 0);
      if (s === IDLE) return;
      if (s === FAILED) {
        Atomics.store(c, 0, IDLE);
        throw new Error('a wasm-simd helper thread failed (a trap in its kernel)');
      }
      if (canBlock !== false) {
        try {
          Atomics.wait(c, 0, s, 1000);
          canBlock = true;
        } catch {
          // A page's main thread: spin on the control word instead (the helpers run meanwhile).
          canBlock = false;
        }
      }
      if (Date.now() - t0 > 120_000)
        throw new Error('a wasm-simd helper thread did not answer within 120 s');
    }
  }

  /** Ends the helpers. */
  close(): void {
    for (const h of this.helpers) {
      Atomics.store(h.control, 0, EXIT);
      Atomics.notify(h.control, 0);
      void h.worker.terminate();
    }
    this.helpers.length = 0;
  }
}
