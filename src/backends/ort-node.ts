/**
 * The `ort-node` inference engine: the generator, exported to ONNX in memory by our exporter, runs
 * on onnxruntime-node's native CPU execution provider (MLAS, AVX2/AVX-512 where the CPU has them).
 * onnxruntime-node is an optional peer dependency, imported at run time; when it is missing or its
 * native binding fails to load, selection falls back to the tfjs backends and `BackendInfo.reason`
 * gives the cause. Inference in eval mode only: the weights live in a tfjs backend (chosen under
 * this one, see `BackendInfo.tfjs`), which also runs training and paper mode.
 */
import {
  checkThreads,
  loadOrtModule,
  wrapSession,
  type OnnxGeneratorSession,
  type OrtModule,
} from './ort.js';
import type { BackendDescriptor } from './types.js';

const PACKAGE = 'onnxruntime-node';
const INSTALL = 'npm i onnxruntime-node';

/**
 * The module specifier imported for onnxruntime-node: the package, or the value of the environment
 * variable `PIX2PIX_TS_ORT_NODE_MODULE` (a specifier or `file:` URL; the tests use it to simulate
 * a missing or broken install, in worker threads and child processes too).
 */
export function ortNodeSpecifier(): string {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.PIX2PIX_TS_ORT_NODE_MODULE || PACKAGE;
}

function nodeCores(): number {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const os = proc?.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
  return Math.max(1, os?.availableParallelism?.() ?? 1);
}

/** Imports onnxruntime-node (once); rejects with "not installed" or "failed to load" and the cause. */
export function loadOrtNode(): Promise<OrtModule> {
  return loadOrtModule(ortNodeSpecifier(), PACKAGE, INSTALL);
}

/** Intra-op threads of an ort-node session: the `threads` option, else one per logical core. */
export function ortNodeThreads(threads?: number): number {
  checkThreads(threads);
  return threads ?? nodeCores();
}

/**
 * A session of an ONNX generator on onnxruntime-node's CPU execution provider with `threads`
 * intra-op threads (one inter-op thread: the graph is a chain).
 *
 * @example
 * ```ts
 * const s = await createOrtNodeSession(exportGeneratorOnnx(sd, g), { threads: 2 });
 * ```
 */
export async function createOrtNodeSession(
  onnx: Uint8Array,
  opts: { threads?: number } = {},
): Promise<OnnxGeneratorSession> {
  const threads = ortNodeThreads(opts.threads);
  const ort = await loadOrtNode();
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return wrapSession(ort, session);
}

let version = '?';
let lastThreads = 1;

/**
 * Descriptor of the onnxruntime-node engine (Node only, inference only).
 *
 * @example
 * ```ts
 * await ortNodeBackend.init({ threads: 2 }); // rejects when onnxruntime-node cannot load
 * ```
 */
export const ortNodeBackend: BackendDescriptor = {
  name: 'ort-node',
  canTrain: false,
  canInfer: true,
  gpu: false,
  engine: 'onnxruntime',
  detect: (caps) =>
    caps.environment === 'node'
      ? { ok: true, reason: 'onnxruntime-node CPU execution provider (native)' }
      : {
          ok: false,
          reason: `onnxruntime-node runs only in Node (environment: ${caps.environment})`,
        },
  async init(opts) {
    lastThreads = ortNodeThreads(opts.threads);
    const ort = await loadOrtNode();
    version = ort.env.versions?.node ?? ort.env.versions?.common ?? '?';
  },
  runtime: () => ({
    threads: lastThreads,
    simd: false,
    software: false,
    detail: `onnxruntime-node ${version} CPU execution provider (native), ${lastThreads} intra-op thread${lastThreads === 1 ? '' : 's'}; weights, training and paper mode on tfjs`,
  }),
};
