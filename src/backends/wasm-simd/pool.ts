/**
 * Node: helper threads (worker_threads) for the own SIMD kernels, each running the same compiled
 * module on tfjs's shared memory (the threaded binary's), so a kernel can split its work and every
 * thread reads and writes tensors in place. Work is handed over through a small SharedArrayBuffer
 * per helper with `Atomics` (the kernels are synchronous: the calling thread computes its share
 * and then blocks until the helpers are done). Browsers: none yet (the main thread of a page may
 * not block with `Atomics.wait`); the kernels then run on the calling thread alone.
 */
import { nodeBuiltin } from '../../core/env.js';

/** Words of one helper's control block: [state, function, 18 int arguments]. */
const WORDS = 20;
const IDLE = 0,
  RUN = 1,
  EXIT = 2,
  FAILED = 3;

/** The helper's script (CommonJS, run with `eval: true`). */
const HELPER = `
const { workerData } = require('node:worker_threads');
const inst = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
const c = new Int32Array(workerData.control);
const fns = [inst.exports.conv2d_backprop_filter];
for (;;) {
  Atomics.wait(c, 0, ${IDLE});
  const s = Atomics.load(c, 0);
  if (s === ${EXIT}) break;
  if (s !== ${RUN}) continue;
  try {
    fns[c[1]](...Array.from(c.subarray(2, ${WORDS})));
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
   * Starts `conv2d_backprop_filter(...args)` on helper `i` (18 int arguments); {@link wait} for it.
   */
  post(i: number, args: number[]): void {
    const c = this.helpers[i]!.control;
    if (Atomics.load(c, 0) !== IDLE) throw new Error('SimdPool: helper is busy');
    c[1] = 0;
    for (let k = 0; k < args.length; k++) c[2 + k] = args[k]!;
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
        throw new Error('a wasm-simd helper thread failed (a trap in conv2d_backprop_filter)');
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
