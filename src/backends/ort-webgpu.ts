/**
 * The `ort-webgpu` inference engine for browsers: the generator, exported to ONNX in memory, runs
 * on onnxruntime-web's WebGPU execution provider (`onnxruntime-web/webgpu`, an optional peer
 * dependency imported at run time). A candidate of `auto` for inference only where a real (not
 * fallback) WebGPU adapter exists; eval mode only, like `ort-node` (weights, training and paper
 * mode stay on the tfjs backend chosen under it, see `BackendInfo.tfjs`).
 */
import { loadOrtModule, wrapSession, type OnnxGeneratorSession, type OrtModule } from './ort.js';
import type { BackendDescriptor } from './types.js';

const PACKAGE = 'onnxruntime-web';
const SPECIFIER = 'onnxruntime-web/webgpu';

let provided: OrtModule | undefined;

/**
 * Hands `ort-webgpu` the onnxruntime-web module to use. Without it the engine imports
 * `onnxruntime-web/webgpu` at run time by name, which only resolves where the page has an import
 * map for it (bundlers do not follow that import, to keep onnxruntime-web out of bundles that do
 * not use it). Call before the first `createPix2Pix` that may choose `ort-webgpu`; set
 * `ort.env.wasm.wasmPaths` first if its `.wasm` files are not beside your bundle.
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web/webgpu';
 * useOnnxRuntimeWeb(ort);
 * const p2p = await createPix2Pix({ backend: 'ort-webgpu', weights: 'model.json' });
 * ```
 */
export function useOnnxRuntimeWeb(ort: unknown): void {
  const m = (
    (ort as { default?: OrtModule })?.default?.InferenceSession
      ? (ort as { default: OrtModule }).default
      : ort
  ) as OrtModule;
  if (typeof m?.InferenceSession?.create !== 'function' || typeof m.Tensor !== 'function') {
    throw new TypeError(
      'useOnnxRuntimeWeb expects the onnxruntime-web module (import * as ort from "onnxruntime-web/webgpu"): no InferenceSession.create / Tensor found.',
    );
  }
  provided = m;
}

/** The onnxruntime-web module: the one handed to {@link useOnnxRuntimeWeb}, else imported by name (once). */
export function loadOrtWebGPU(): Promise<OrtModule> {
  return provided
    ? Promise.resolve(provided)
    : loadOrtModule(SPECIFIER, PACKAGE, 'npm i onnxruntime-web');
}

/**
 * A session of an ONNX generator on onnxruntime-web's WebGPU execution provider (no fallback to
 * its wasm EP: a graph WebGPU cannot run fails here, so selection can fall back with the cause).
 *
 * @example
 * ```ts
 * const s = await createOrtWebGPUSession(exportGeneratorOnnx(sd, g));
 * ```
 */
export async function createOrtWebGPUSession(onnx: Uint8Array): Promise<OnnxGeneratorSession> {
  const ort = await loadOrtWebGPU();
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
  });
  return wrapSession(ort, session);
}

let version = '?';

/**
 * Descriptor of the onnxruntime-web WebGPU engine (browsers and workers, inference only).
 *
 * @example
 * ```ts
 * await ortWebGPUBackend.init({});
 * ```
 */
export const ortWebGPUBackend: BackendDescriptor = {
  name: 'ort-webgpu',
  canTrain: false,
  canInfer: true,
  gpu: true,
  engine: 'onnxruntime',
  detect: (caps) => {
    if (caps.environment === 'node')
      return {
        ok: false,
        reason:
          'onnxruntime-web WebGPU runs in browsers (in Node, ort-node is the onnxruntime engine)',
      };
    if (!caps.webgpu) return { ok: false, reason: 'no navigator.gpu' };
    if (!caps.webgpuAdapter) return { ok: false, reason: 'navigator.gpu granted no adapter' };
    return {
      ok: true,
      reason: `onnxruntime-web WebGPU execution provider on ${caps.webgpuFallback ? 'a fallback (software) adapter' : 'a GPU adapter'}`,
    };
  },
  async init() {
    const ort = await loadOrtWebGPU();
    version = ort.env.versions?.web ?? ort.env.versions?.common ?? '?';
  },
  runtime: (caps) => ({
    threads: 1,
    simd: false,
    software: caps.webgpuFallback,
    adapter: caps.webgpuAdapterInfo ?? null,
    detail: `onnxruntime-web ${version} WebGPU execution provider on ${caps.webgpuFallback ? 'a fallback (software) adapter' : 'a GPU adapter'}; weights, training and paper mode on tfjs`,
  }),
};
