/**
 * The onnxruntime peers: onnxruntime-node (native CPU) and onnxruntime-web (its WASM SIMD build,
 * which in Node runs threads on worker_threads). Development dependencies only, imported lazily;
 * a missing package makes the backend unavailable with a message, never an import error.
 */
import type { BenchBackend } from './cases.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../pix2pix/onnx-export.js';
import { createOrtNodeSession } from '../backends/ort-node.js';

/** The part of the onnxruntime API both packages share and the benchmark uses. */
interface OrtTensorLike {
  dispose?(): void;
}
interface OrtSessionLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: {
    create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  env: { wasm?: { numThreads?: number }; versions?: Record<string, string> };
}

const loaded = new Map<string, Promise<OrtModule>>();

/** Imports an onnxruntime package once; rejects with a message that says how to install it. */
export function loadOrt(backend: 'ort-web' | 'ort-node'): Promise<OrtModule> {
  const pkg = backend === 'ort-web' ? 'onnxruntime-web' : 'onnxruntime-node';
  let p = loaded.get(pkg);
  if (!p) {
    // A variable specifier keeps bundlers from pulling the package (and its binaries) in.
    const spec: string = pkg;
    p = import(/* @vite-ignore */ spec).then(
      (m) => (m.default?.InferenceSession ? m.default : m) as OrtModule,
      (e) => {
        const how =
          backend === 'ort-node'
            ? 'npm i -D -E onnxruntime-node --ignore-scripts'
            : 'npm i -D -E onnxruntime-web';
        throw new Error(
          `${pkg} is not installed (${(e as Error)?.message?.split('\n')[0]}); install it with "${how}" to benchmark ${backend}`,
        );
      },
    );
    loaded.set(pkg, p);
  }
  return p;
}

/** Whether a peer can load here: `null` when it can, else why not. */
export async function peerUnavailable(backend: 'ort-web' | 'ort-node'): Promise<string | null> {
  if (backend === 'ort-node' && (typeof process === 'undefined' || !process.versions?.node))
    return 'onnxruntime-node runs only in Node';
  try {
    await loadOrt(backend);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The thread count ort-web was first initialised with (its wasm module reads it once). */
let ortWebThreads: number | undefined;

/** Why ort-web cannot run `threads` in this process, or null when it can. */
export function ortWebThreadsFixed(threads: number): string | null {
  if (ortWebThreads === undefined || ortWebThreads === threads) return null;
  return `onnxruntime-web reads env.wasm.numThreads once, at its first session (${ortWebThreads} here); threads=${threads} needs another process`;
}

/**
 * A ready-to-time peer session: `run()` does one inference on a fixed NCHW input, output read
 * back to JS (as the tfjs cases read theirs).
 */
export interface PeerSession {
  run(): Promise<void>;
  release(): Promise<void>;
  version: string;
}

/**
 * Creates a session of `onnx` on a peer with `threads` compute threads (ort-node: the library's
 * own `ort-node` engine session, intraOpNumThreads per session; ort-web: env.wasm.numThreads,
 * fixed at the first session).
 *
 * @example
 * ```ts
 * const s = await createPeerSession('ort-node', bytes, 1, [1, 3, 256, 256]);
 * await s.run();
 * await s.release();
 * ```
 */
export async function createPeerSession(
  backend: BenchBackend,
  onnx: Uint8Array,
  threads: number,
  inputShape: number[],
): Promise<PeerSession> {
  if (backend !== 'ort-web' && backend !== 'ort-node')
    throw new TypeError(
      `Not an onnxruntime peer: "${backend}". Should be one of: "ort-web", "ort-node".`,
    );
  const ort = await loadOrt(backend);
  const n = inputShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  if (backend === 'ort-node') {
    // The engine `createPix2Pix` runs on `ort-node` (same session options, same read-back).
    const engine = await createOrtNodeSession(onnx, { threads });
    const dims = inputShape as [number, number, number, number];
    return {
      version: ort.env.versions?.node ?? ort.env.versions?.common ?? '?',
      run: async () => void (await engine.run(data, dims)),
      release: () => engine.release(),
    };
  }
  const fixed = ortWebThreadsFixed(threads);
  if (fixed) throw new Error(fixed);
  if (ort.env.wasm) ort.env.wasm.numThreads = threads;
  ortWebThreads = threads;
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const input = new ort.Tensor('float32', data, inputShape);
  return {
    version: ort.env.versions?.web ?? ort.env.versions?.common ?? '?',
    async run() {
      const out = await session.run({ [ONNX_INPUT_NAME]: input });
      out[ONNX_OUTPUT_NAME]?.dispose?.();
    },
    release: () => session.release(),
  };
}
