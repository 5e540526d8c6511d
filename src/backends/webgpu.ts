/**
 * The tfjs WebGPU backend. Loaded on demand (a dynamic import, so bundlers can split it off) since
 * most runs never use it. Needs `navigator.gpu` and a granted adapter.
 */
import { activateTfBackend } from './activate.js';
import type { BackendDescriptor } from './types.js';

let loaded: Promise<unknown> | undefined;

/**
 * Descriptor of the tfjs webgpu backend.
 *
 * @example
 * ```ts
 * await webgpuBackend.init({});
 * ```
 */
export const webgpuBackend: BackendDescriptor = {
  name: 'webgpu',
  canTrain: true,
  canInfer: true,
  detect(caps) {
    if (!caps.webgpu) return { ok: false, reason: `navigator.gpu is missing (environment: ${caps.environment})` };
    if (!caps.webgpuAdapter) return { ok: false, reason: 'navigator.gpu.requestAdapter() granted no adapter' };
    return { ok: true, reason: caps.webgpuFallback ? 'WebGPU on a fallback (software) adapter' : 'WebGPU on a GPU adapter' };
  },
  async init() {
    // The package registers its backend on import, only where navigator.gpu exists.
    loaded ??= import('@tensorflow/tfjs-backend-webgpu');
    await loaded;
    await activateTfBackend('webgpu');
  },
  runtime: (caps) => ({ threads: 1, simd: false, software: caps.webgpuFallback }),
};
