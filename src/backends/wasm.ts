/**
 * The tfjs WebAssembly backend (XNNPACK). tfjs picks one of its three binaries itself: plain,
 * SIMD, or threaded SIMD (browsers only, and only when the page is cross-origin isolated). In Node,
 * pix2pix-ts starts the threaded SIMD binary itself on worker_threads (see `wasm-node-threads.ts`).
 * With threads, the XNNPACK pool gets one thread per logical core by default (tfjs alone would use
 * half); in a Node worker thread the default is 1 (several such workers already share the cores).
 */
import { BackendError } from '../core/errors.js';
import { tf } from '../core/tf.js';
import { activateTfBackend } from './activate.js';
import type { Capabilities } from './probe.js';
import { detectEnvironment, nodeBuiltin } from '../core/env.js';
import { withNodeWasmThreads } from './wasm-node-threads.js';
import type { BackendDescriptor, BackendInitOptions, WasmBinaryName } from './types.js';

type TfWasm = typeof import('@tensorflow/tfjs-backend-wasm');
/** tfjs-backend-wasm, once `init()` has imported it (everything below that uses it runs after). */
let tfwasm: TfWasm | undefined;

const BINARIES: readonly WasmBinaryName[] = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/** The wasm binaries and the threaded glue, each by URL. */
export type WasmFileUrls = Record<WasmBinaryName, string> & {
  'tfjs-backend-wasm-threaded-simd.js': string;
};

/**
 * The runtime files shipped beside this module (the bundle, once built), each referred to with its
 * own literal `new URL('./<file>', import.meta.url)`: the pattern vite, webpack 5, rollup and
 * parcel recognise and emit as assets (a computed folder URL plus a name is not: vite rewrote one
 * into a wrong URL). Undefined where `import.meta.url` gives no usable URL.
 */
function bundledFileUrls(): WasmFileUrls | undefined {
  try {
    return {
      'tfjs-backend-wasm.wasm': new URL('./tfjs-backend-wasm.wasm', import.meta.url).href,
      'tfjs-backend-wasm-simd.wasm': new URL('./tfjs-backend-wasm-simd.wasm', import.meta.url).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(
        './tfjs-backend-wasm-threaded-simd.wasm',
        import.meta.url,
      ).href,
      'tfjs-backend-wasm-threaded-simd.js': new URL(
        './tfjs-backend-wasm-threaded-simd.js',
        import.meta.url,
      ).href,
    };
  } catch {
    return undefined;
  }
}
// Taken at load time: in the IIFE build `import.meta.url` reads `document.currentScript`, which is
// null once the script has run.
const BUNDLED = bundledFileUrls();

/** Node: the file path of a `file:` URL when that file exists, else undefined. */
function existingFile(href: string | undefined): string | undefined {
  const fs = nodeBuiltin('node:fs');
  const url = nodeBuiltin('node:url');
  if (!href?.startsWith('file:') || !fs || !url) return undefined;
  const file = url.fileURLToPath(href);
  return fs.existsSync(file) ? file : undefined;
}

/**
 * Where the wasm binaries are found when the user gives no `wasmPaths`. Browsers and workers: the
 * files beside the bundle, one URL each. Node: the bundle's folder when they were copied there
 * (the package's dist/), else `@tensorflow/tfjs-backend-wasm/dist/` in node_modules (running from
 * source). Undefined leaves emscripten's own default (the script's folder).
 *
 * @example
 * ```ts
 * defaultWasmPaths(); // e.g. { 'tfjs-backend-wasm.wasm': 'https://example.com/assets/tfjs-backend-wasm-1a2b.wasm', ... } or '/app/node_modules/pix2pix-ts/dist/'
 * ```
 */
export function defaultWasmPaths(): string | WasmFileUrls | undefined {
  if (detectEnvironment() !== 'node') return BUNDLED;
  const url = nodeBuiltin('node:url');
  const mod = nodeBuiltin('node:module');
  const path = nodeBuiltin('node:path');
  const fs = nodeBuiltin('node:fs');
  if (!fs || !url || !mod || !path) return undefined;
  const beside = existingFile(BUNDLED?.[BINARIES[0]!]);
  if (beside) return path.dirname(beside) + path.sep;
  try {
    const proc = (globalThis as { process?: NodeJS.Process }).process;
    const req = mod.createRequire(
      import.meta.url ?? url.pathToFileURL(proc!.cwd() + path.sep).href,
    );
    const dist = path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm'));
    if (fs.existsSync(path.join(dist, BINARIES[0]!))) return dist + path.sep;
  } catch {
    /* not installed where Node can resolve it: emscripten's default remains */
  }
  return undefined;
}

/**
 * Node: the threaded binary's emscripten glue for the pthread workers to import: the copy shipped
 * beside the bundle, else the installed package's `wasm-out/tfjs-backend-wasm-threaded-simd.js`
 * when its version is the one loaded (running from source); else undefined.
 */
function threadedGluePath(): string | undefined {
  const beside = existingFile(BUNDLED?.['tfjs-backend-wasm-threaded-simd.js']);
  if (beside) return beside;
  const fs = nodeBuiltin('node:fs');
  const url = nodeBuiltin('node:url');
  const mod = nodeBuiltin('node:module');
  const path = nodeBuiltin('node:path');
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!fs || !url || !mod || !path) return undefined;
  const bases = [BUNDLED?.[BINARIES[0]!], url.pathToFileURL(proc!.cwd() + path.sep).href].filter(
    (b): b is string => !!b,
  );
  for (const base of bases) {
    try {
      const dist = path.dirname(mod.createRequire(base).resolve('@tensorflow/tfjs-backend-wasm'));
      const pkg = JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as {
        version?: string;
      };
      const glue = path.join(dist, '..', 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
      if (pkg.version === tfwasm?.version_wasm && fs.existsSync(glue)) return glue;
    } catch {
      /* not resolvable from there */
    }
  }
  return undefined;
}

/**
 * The XNNPACK pool tfjs-backend-wasm 4.22 gives itself: `init_with_threads_count` caps any request
 * at min(8, hardwareConcurrency / 2) (it assumes 2 hyper-threads per core), so on its own a 2-core
 * machine computes on one thread even with the threaded binary. pix2pix-ts lifts this cap (see
 * {@link defaultWasmThreads}).
 *
 * @example
 * ```ts
 * wasmThreadCap(16); // 8
 * wasmThreadCap(2);  // 1
 * ```
 */
export function wasmThreadCap(hardwareConcurrency: number): number {
  return Math.max(1, Math.min(8, Math.floor(hardwareConcurrency / 2)));
}

/**
 * Pthread workers the threaded binary starts with (emscripten PTHREAD_POOL_SIZE). A larger XNNPACK
 * pool would have to start workers while the main thread blocks in a kernel, which can deadlock.
 */
export const WASM_MAX_THREADS = 8;

/**
 * XNNPACK threads the threaded wasm binary runs with when the `threads` option is not given: one
 * per logical core (the calling thread is one of them), at most {@link WASM_MAX_THREADS}.
 *
 * @example
 * ```ts
 * defaultWasmThreads(2);  // 2 (tfjs alone would use 1)
 * defaultWasmThreads(16); // 8
 * ```
 */
export function defaultWasmThreads(hardwareConcurrency: number): number {
  return Math.max(1, Math.min(WASM_MAX_THREADS, Math.floor(hardwareConcurrency) || 1));
}

/** The threaded binary will be used: a browser or worker that is cross-origin isolated. */
function threadsPossible(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  return (
    detectEnvironment() !== 'node' &&
    g.crossOriginIsolated === true &&
    typeof g.SharedArrayBuffer === 'function'
  );
}

/**
 * Runs `fn` (the wasm backend's first initialisation) with `navigator.hardwareConcurrency` reading
 * 2 x `threads`, so tfjs's cap (hardwareConcurrency / 2, read by emscripten in the backend's
 * constructor) lets the requested pool through. The real value is restored afterwards.
 */
async function withThreadCapLifted<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (!nav || wasmThreadCap(nav.hardwareConcurrency ?? 1) >= threads) return fn();
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency'); // normally none: a prototype getter
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', {
      configurable: true,
      enumerable: true,
      get: () => 2 * threads,
    });
  } catch {
    return fn(); // a frozen navigator: tfjs's own cap stays
  }
  try {
    return await fn();
  } finally {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/**
 * XNNPACK threads for the wasm backend in Node when the `threads` option is not given: one per
 * logical core ({@link defaultWasmThreads}) on the main thread, 1 in a worker thread (an app that
 * runs models in several workers would otherwise start cores x workers threads on the cores).
 *
 * @example
 * ```ts
 * defaultNodeWasmThreads(2, true);  // 2
 * defaultNodeWasmThreads(2, false); // 1
 * ```
 */
export function defaultNodeWasmThreads(
  availableParallelism: number,
  isMainThread: boolean,
): number {
  return isMainThread ? defaultWasmThreads(availableParallelism) : 1;
}

function nodeThreadDefaults(): { cores: number; isMainThread: boolean } {
  const os = nodeBuiltin('node:os');
  const wt = nodeBuiltin('node:worker_threads');
  return {
    cores: Math.max(1, os?.availableParallelism?.() ?? 1),
    isMainThread: wt?.isMainThread ?? true,
  };
}

/** How the first wasm init went where it can differ from what the probe expects (for `BackendInfo.reason`). */
let initDetail: string | undefined;

let configuredPaths: string | undefined; // JSON of what was passed to setWasmPaths
let configuredValue: BackendInitOptions['wasmPaths']; // and the value itself
let initialised = false;
let threadsNoticeShown = false;

function configurePaths(wasmPaths: BackendInitOptions['wasmPaths']): void {
  const explicit = wasmPaths !== undefined;
  const value = wasmPaths ?? defaultWasmPaths();
  const key = JSON.stringify(value ?? null);
  if (configuredPaths !== undefined) {
    if (explicit && key !== configuredPaths) {
      throw new BackendError(
        `Option "wasmPaths" cannot change after the wasm backend has been configured (it is ${configuredPaths}); tfjs loads one wasm module per page. Pass wasmPaths on the first call.`,
      );
    }
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const missing = BINARIES.filter((b) => typeof value[b] !== 'string');
    if (missing.length)
      throw new TypeError(
        `Option "wasmPaths" is missing ${missing.join(', ')}. Give a URL for each of ${BINARIES.join(', ')}, or one folder URL ending in "/".`,
      );
  } else if (value !== undefined && typeof value !== 'string') {
    throw new TypeError(
      `Option "wasmPaths" must be a folder URL string or a map of binary names to URLs, got ${typeof value}.`,
    );
  }
  if (value !== undefined) tfwasm!.setWasmPaths(value);
  configuredPaths = key;
  configuredValue = value;
}

/**
 * File name of the threaded binary's emscripten glue (from `@tensorflow/tfjs-backend-wasm/wasm-out/`),
 * which the build ships beside the bundle and the wasm binaries.
 */
export const THREADED_GLUE = 'tfjs-backend-wasm-threaded-simd.js';

/** How tfjs-backend-wasm 4.22 starts the Blob of its factory's source that pthread workers import. */
const FACTORY_BLOB_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

/**
 * Browsers: the absolute URL of {@link THREADED_GLUE}: in the `wasmPaths` folder (or its entry in a
 * `wasmPaths` map), else beside this bundle; undefined when neither is known.
 *
 * @example
 * ```ts
 * threadedGlueUrl(); // e.g. 'https://example.com/assets/tfjs-backend-wasm-threaded-simd.js'
 * ```
 */
export function threadedGlueUrl(): string | undefined {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  const value = configuredValue ?? defaultWasmPaths();
  try {
    if (typeof value === 'string') return new URL(THREADED_GLUE, new URL(value, base)).href;
    const entry = value?.['tfjs-backend-wasm-threaded-simd.js'];
    return typeof entry === 'string' ? new URL(entry, base).href : undefined;
  } catch {
    return undefined;
  }
}

/** Why `url` cannot be loaded (HTTP status or network error), or undefined when it can. */
async function unreachable(url: string): Promise<string | undefined> {
  try {
    let r = await fetch(url, { method: 'HEAD' });
    if (r.status === 405 || r.status === 501) r = await fetch(url); // servers without HEAD
    return r.ok ? undefined : `HTTP ${r.status}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Browsers and workers: what each wasm binary URL answers when it is not a wasm binary (an HTTP
 * error, or e.g. an HTML page from a server's fallback route), or undefined when all are fine.
 */
async function diagnoseBinaries(): Promise<string | undefined> {
  if (detectEnvironment() === 'node') return undefined;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  const value = configuredValue ?? defaultWasmPaths();
  const problems: string[] = [];
  for (const b of BINARIES) {
    const url = typeof value === 'string' ? new URL(b, new URL(value, base)).href : value?.[b];
    if (!url) continue;
    try {
      const r = await fetch(url);
      if (!r.ok) {
        problems.push(`${url}: HTTP ${r.status}`);
        continue;
      }
      const head = new Uint8Array(await r.arrayBuffer()).subarray(0, 4);
      if (head[0] !== 0 || head[1] !== 0x61 || head[2] !== 0x73 || head[3] !== 0x6d)
        problems.push(
          `${url}: not a wasm binary (${r.headers.get('content-type') ?? 'no content-type'})`,
        );
    } catch (e) {
      problems.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems.length ? problems.join('; ') : undefined;
}

/**
 * Runs `fn` (the wasm backend's first initialisation, threaded, in a browser or worker) with the
 * pthread workers importing the published glue at `glueUrl`. tfjs hands each worker a Blob of
 * `wasmFactoryThreadedSimd.toString()`: once a bundler has renamed or minified the free names that
 * source refers to (the IIFE build's terser does), the workers fail with a ReferenceError and the
 * backend never finishes starting. The Blob made while `fn` runs is replaced by one that imports
 * `glueUrl`; `Blob` is restored afterwards.
 */
async function withThreadedGlue<T>(glueUrl: string, fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { Blob: typeof Blob };
  const OriginalBlob = g.Blob;
  const redirect = `importScripts(${JSON.stringify(glueUrl)});`;
  class GlueBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      const first = parts?.length === 1 ? parts[0] : undefined;
      super(
        typeof first === 'string' && first.startsWith(FACTORY_BLOB_PREFIX) ? [redirect] : parts,
        options,
      );
    }
  }
  g.Blob = GlueBlob;
  try {
    return await fn();
  } finally {
    g.Blob = OriginalBlob;
  }
}

/**
 * Browsers and workers that are cross-origin isolated: the threaded SIMD binary with `requested`
 * (or one per core) XNNPACK threads, its workers importing {@link THREADED_GLUE}; when that file
 * is not reachable, the single-threaded SIMD binary, with the cause kept for `BackendInfo.reason`.
 */
async function initBrowserThreaded(requested: number | undefined): Promise<void> {
  const cores =
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency ?? 1;
  const threads = Math.min(WASM_MAX_THREADS, requested ?? defaultWasmThreads(cores));
  const glue = threadedGlueUrl();
  const why =
    glue === undefined ? 'no URL is known for it (give wasmPaths)' : await unreachable(glue);
  if (why !== undefined) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfwasm!.setThreadsCount(1);
    await activateTfBackend('wasm');
    initDetail = `WASM SIMD on one thread (the threaded binary's glue ${THREADED_GLUE}${glue ? ` at ${glue}` : ''} cannot be loaded: ${why}; serve it beside the wasm binaries: it ships in pix2pix-ts's dist/, and \`npx pix2pix-ts assets <dir>\` copies it)`;
    return;
  }
  tfwasm!.setThreadsCount(threads);
  await withThreadedGlue(glue!, () =>
    withThreadCapLifted(threads, () => activateTfBackend('wasm')),
  );
}

function threadsNotice(caps: Capabilities): void {
  if (threadsNoticeShown || caps.environment === 'node' || caps.wasmThreads || !caps.wasmSimd)
    return;
  threadsNoticeShown = true;
  console.info(
    `pix2pix-ts: WebAssembly threads are off: ${caps.wasmThreadsReason}. The wasm backend runs on one thread.`,
  );
}

/**
 * Descriptor of the tfjs wasm backend.
 *
 * @example
 * ```ts
 * await wasmBackend.init({ wasmPaths: 'https://cdn.example.com/tfjs-wasm/' });
 * ```
 */
export const wasmBackend: BackendDescriptor = {
  name: 'wasm',
  canTrain: true,
  canInfer: true,
  gpu: false,
  detect(caps) {
    if (!caps.wasm) return { ok: false, reason: 'WebAssembly is not available' };
    if (caps.wasmSimd && caps.wasmThreads)
      return {
        ok: true,
        reason: `WASM SIMD with threads (${defaultWasmThreads(caps.hardwareConcurrency)} XNNPACK threads by default on ${caps.hardwareConcurrency} logical cores)`,
      };
    if (caps.wasmSimd)
      return { ok: true, reason: `WASM SIMD on one thread (${caps.wasmThreadsReason})` };
    return { ok: true, reason: 'WASM without SIMD on one thread (slow)' };
  },
  async init(opts) {
    tfwasm ??= await import('@tensorflow/tfjs-backend-wasm');
    configurePaths(opts.wasmPaths);
    if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
      throw new RangeError(`Option "threads" must be a positive integer, got ${opts.threads}.`);
    }
    try {
      if (!initialised && detectEnvironment() === 'node') {
        await initNode(opts.threads);
      } else if (initialised || !threadsPossible()) {
        // Non-isolated pages get a binary without threads; the pool is fixed once created.
        await activateTfBackend('wasm');
      } else {
        await initBrowserThreaded(opts.threads);
      }
    } catch (e) {
      // emscripten's own message names no file ("expected magic word 00 61 73 6d"): say which URL
      // answered what, so a missing or misrouted binary is found from BackendInfo.reason.
      const why = await diagnoseBinaries().catch(() => undefined);
      throw why
        ? new Error(`${e instanceof Error ? e.message : String(e)} (${why})`, { cause: e })
        : e;
    }
    initialised = true;
    // pix2pix-ts's own SIMD kernels (Adam, Conv2DBackpropFilter) on tfjs's memory; where they
    // cannot load, the kernels keep their JS / XNNPACK paths.
    const { loadWasmSimd } = await import('./wasm-simd/index.js');
    await loadWasmSimd(
      tf.findBackend('wasm') as unknown as import('@tensorflow/tfjs-backend-wasm').BackendWasm,
      tfwasm.getThreadsCount(),
    );
  },
  runtime(caps) {
    let threads = 1;
    try {
      threads = tfwasm?.getThreadsCount() ?? 1;
    } catch {
      /* not initialised */
    }
    threadsNotice(caps);
    return {
      threads,
      simd: caps.wasmSimd,
      software: false,
      ...(initDetail ? { detail: initDetail } : {}),
    };
  },
};

/**
 * Node: the threaded SIMD binary on worker_threads when more than one thread is wanted, else (or
 * when that fails) the single-threaded SIMD binary, with the cause kept for `BackendInfo.reason`.
 */
async function initNode(requested: number | undefined): Promise<void> {
  const { cores, isMainThread } = nodeThreadDefaults();
  const threads = Math.min(
    WASM_MAX_THREADS,
    requested ?? defaultNodeWasmThreads(cores, isMainThread),
  );
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const why =
    requested !== undefined
      ? 'option threads'
      : isMainThread
        ? `one per logical core, ${cores} here`
        : 'default in a worker thread';
  if (threads > 1 && simd) {
    try {
      tfwasm!.setThreadsCount(threads);
      await withNodeWasmThreads(threads, () => activateTfBackend('wasm'), threadedGluePath());
      const got = tfwasm!.getThreadsCount();
      initDetail = `WASM SIMD with threads in Node (${got} XNNPACK threads on worker_threads: ${why})`;
      return;
    } catch (e) {
      tfwasm!.setThreadsCount(1);
      await activateTfBackend('wasm');
      initDetail = `WASM SIMD on one thread (the threaded binary failed to start in Node: ${e instanceof Error ? e.message : String(e)})`;
      return;
    }
  }
  await activateTfBackend('wasm');
  initDetail = simd
    ? `WASM SIMD on one thread (${why})`
    : 'WASM without SIMD on one thread (slow; tfjs ships threads only in its SIMD binary)';
}
