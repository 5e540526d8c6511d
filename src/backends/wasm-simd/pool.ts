/**
 * Node: helper threads (worker_threads) for the own SIMD kernels, each running the same compiled
 * module on tfjs's shared memory (the threaded binary's), so a kernel can split its work and every
 * thread reads and writes tensors in place. Work is handed over through a small SharedArrayBuffer
 * per helper with `Atomics` (the kernels are synchronous: the calling thread computes its share
 * and then blocks until the helpers are done). Browsers: none yet (the main thread of a page may
 * not block with `Atomics.wait`); the kernels then run on the calling thread alone.
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
const IDLE = 0,
  RUN = 1,
  EXIT = 2,
  FAILED = 3;

/** The helper's script (CommonJS, run with `eval: true`). */
const HELPER = `
const { workerData } = require('node:worker_threads');
const inst = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
const c = new Int32Array(workerData.control);
const fns = ${JSON.stringify(POOL_KERNELS)}.map((n) => inst.exports[n]);
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

interface Helper {
  control: Int32Array;
  worker: { terminate(): unknown };
}

/** A fixed set of helper threads for one module on one shared memory. */
export class SimdPool {
  private constructor(private readonly helpers: Helper[]) {}

  /**
   * Starts `count` helpers (Node only; undefined elsewhere, or when `count` < 1 or the memory is
   * not shared). They are unref'd: they keep no process alive.
   */
  static start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
  ): SimdPool | undefined {
    const wt = nodeBuiltin('node:worker_threads');
    if (!wt || count < 1 || !(memory.buffer instanceof SharedArrayBuffer)) return undefined;
    const helpers: Helper[] = [];
    for (let i = 0; i < count; i++) {
      const control = new Int32Array(new SharedArrayBuffer(WORDS * 4));
      const worker = new wt.Worker(HELPER, {
        eval: true,
        workerData: { module, memory, control: control.buffer },
      });
      worker.unref();
      helpers.push({ control, worker });
    }
    return new SimdPool(helpers);
  }

  /** Helper threads (the calling thread is one more). */
  get size(): number {
    return this.helpers.length;
  }

  /**
   * Starts `kernel(...args)` (int arguments: pointers and sizes) on helper `i`; {@link wait} for it.
   */
  post(i: number, args: number[], kernel: PoolKernel = 'conv2d_backprop_filter'): void {
    const c = this.helpers[i]!.control;
    if (Atomics.load(c, 0) !== IDLE) throw new Error('SimdPool: helper is busy');
    if (args.length > MAX_ARGS) throw new Error(`SimdPool: ${args.length} arguments, at most ${MAX_ARGS}`);
    c[1] = POOL_KERNELS.indexOf(kernel);
    c[2] = args.length;
    for (let k = 0; k < args.length; k++) c[3 + k] = args[k]!;
    Atomics.store(c, 0, RUN);
    Atomics.notify(c, 0);
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
      Atomics.wait(c, 0, s, 1000);
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
