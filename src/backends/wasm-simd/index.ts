/**
 * pix2pix-ts's own WebAssembly SIMD kernels (`kernels.c`, built by `npm run build:wasm-simd` into
 * the committed `pix2pix-simd.wasm` / `pix2pix-simd-shared.wasm`), instantiated on tfjs-backend-wasm's
 * own memory: the module imports the very `WebAssembly.Memory` tfjs's binary runs on, so kernels
 * read and write tensors where they are (pointers are heap offsets), with no copies. The plain
 * module goes with tfjs's SIMD binary (which exports its memory), the shared one with the threaded
 * binary (whose glue keeps its shared memory as `Module.wasmMemory`).
 *
 * Plain SIMD128 only (no relaxed SIMD), so results do not depend on the machine.
 *
 * Loading is asynchronous (`fetch` / `fs`) and happens once, in the wasm backend's `init`
 * ({@link loadWasmSimd}); the kernels ask {@link wasmSimd} synchronously and fall back to their
 * JS / XNNPACK paths while it answers undefined (not loaded, or not loadable here).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nodeBuiltin } from '../../core/env.js';
import { SimdPool } from './pool.js';

/** The exports of the module (pointers are byte offsets into tfjs's memory). */
export interface WasmSimdExports {
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    p2: number,
    m2: number,
    v2: number,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    bc: number,
    eps: number,
    step: number,
  ): void;
  conv2d_backprop_filter(
    x: number,
    dy: number,
    dw: number,
    h: number,
    w: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    pt: number,
    pl: number,
    row0: number,
    row1: number,
    block: number,
  ): void;
  add_into(out: number, a: number, n: number): void;
  /** See kernels.c; 21 int arguments. */
  conv2d_direct(...args: number[]): void;
  /** See kernels.c; 18 int arguments. */
  conv_transpose_direct(...args: number[]): void;
  bn_sum(x: number, sum: number, rows: number, c: number): void;
  bn_sqdev(x: number, mean: number, q: number, rows: number, c: number): void;
  bn_apply(...args: number[]): void;
  bn_grad_sums(...args: number[]): void;
  bn_grad_dx(...args: number[]): void;
}

/** The module instantiated on one wasm backend's memory. */
export interface WasmSimd {
  readonly exports: WasmSimdExports;
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is shared (tfjs's threaded binary). */
  readonly shared: boolean;
  /** Helper threads on the same memory (threaded binary, `threads` > 1), if any. */
  readonly pool?: SimdPool;
}

interface EmscriptenModuleLike {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

const loaded = new WeakMap<object, WasmSimd>();
const failures = new WeakMap<object, string>();
let disabled = false;

/** The `WebAssembly.Memory` a tfjs-backend-wasm 4.x backend runs on, or undefined. */
export function tfjsWasmMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  const mod = (backend as unknown as { wasm?: EmscriptenModuleLike }).wasm;
  const mem = mod?.wasmMemory ?? mod?.asm?.memory;
  return mem instanceof WebAssembly.Memory ? mem : undefined;
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * The module's URL, each with its own literal `new URL('./<file>', import.meta.url)` (the pattern
 * bundlers emit as an asset; rollup copies both files beside the bundle).
 */
function moduleUrl(shared: boolean): string {
  return shared
    ? new URL('./pix2pix-simd-shared.wasm', import.meta.url).href
    : new URL('./pix2pix-simd.wasm', import.meta.url).href;
}

async function readBytes(href: string): Promise<ArrayBuffer | Uint8Array> {
  if (href.startsWith('file:')) {
    const fs = nodeBuiltin('node:fs');
    const url = nodeBuiltin('node:url');
    if (fs && url) return fs.readFileSync(url.fileURLToPath(href));
  }
  const r = await fetch(href);
  if (!r.ok) throw new Error(`HTTP ${r.status} for ${href}`);
  return r.arrayBuffer();
}

/**
 * Instantiates the module on `backend`'s memory (once per backend), with `threads` - 1 helper
 * threads where the memory is shared ({@link SimdPool}: Node worker_threads, or Web Workers). Never throws: when it cannot
 * load (no SIMD, the file is missing, an unknown tfjs build), the reason is kept
 * ({@link wasmSimdFailure}) and the kernels keep their fallbacks.
 *
 * @example
 * ```ts
 * await loadWasmSimd(tf.backend() as BackendWasm);
 * wasmSimd(tf.backend() as BackendWasm)?.exports.adam; // a function once loaded
 * ```
 */
export async function loadWasmSimd(
  backend: BackendWasm,
  threads = 1,
): Promise<WasmSimd | undefined> {
  const have = loaded.get(backend);
  if (have) return have;
  try {
    const memory = tfjsWasmMemory(backend);
    if (!memory) throw new Error('the tfjs wasm backend exposes no WebAssembly.Memory');
    const shared = isShared(memory);
    const bytes = await readBytes(moduleUrl(shared));
    const { instance, module } = (await WebAssembly.instantiate(bytes, {
      env: { memory },
    })) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
    let pool: SimdPool | undefined;
    try {
      pool = shared && threads > 1 ? SimdPool.start(module, memory, threads - 1) : undefined;
      // Browser helpers start asynchronously: give them a moment, so the first kernels split.
      await pool?.whenReady(3000);
    } catch (e) {
      // No helper threads here (e.g. a permission model): the kernels run on the calling thread.
      failures.set(backend, `helper threads: ${e instanceof Error ? e.message : String(e)}`);
    }
    const simd: WasmSimd = {
      exports: instance.exports as unknown as WasmSimdExports,
      memory,
      shared,
      ...(pool ? { pool } : {}),
    };
    loaded.set(backend, simd);
    return simd;
  } catch (e) {
    failures.set(backend, e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/**
 * The module loaded on `backend`, or undefined (not loaded, failed, or turned off by
 * {@link setWasmSimdEnabled}).
 */
export function wasmSimd(backend: BackendWasm): WasmSimd | undefined {
  return disabled ? undefined : loaded.get(backend);
}

/** Why the module did not load on `backend`, if it failed. */
export function wasmSimdFailure(backend: BackendWasm): string | undefined {
  return failures.get(backend);
}

/**
 * Turns the own SIMD kernels off (the kernels then take their previous paths) or back on. For
 * benchmarks and tests that compare the two paths in one process.
 *
 * @example
 * ```ts
 * setWasmSimdEnabled(false); // Adam back on the JS loop, dW on XNNPACK matmuls
 * ```
 */
export function setWasmSimdEnabled(on: boolean): void {
  disabled = !on;
}

/** The byte offset in tfjs's memory of a wasm backend tensor's data. */
export function heapOffset(backend: BackendWasm, dataId: object): number {
  const info = (
    backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } | undefined } }
  ).dataIdMap.get(dataId);
  if (!info) throw new Error('heapOffset: the tensor is not on this wasm backend');
  return info.memoryOffset;
}

/** Rounds to float32 (the wasm f32 parameters would too; explicit for the reader). */
export const f32 = Math.fround;
