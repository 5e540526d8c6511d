/**
 * The tfjs WebGPU backend. Needs `navigator.gpu` and a granted adapter: browsers have it; in Node
 * it comes from the optional `webgpu` package (Google's Dawn, prebuilt), installed as
 * `navigator.gpu` plus the `GPUBufferUsage`-style globals that tfjs-backend-webgpu expects.
 */
import { activateTfBackend } from './activate.js';
import type { BackendDescriptor } from './types.js';
import { nodeWebGPU } from './node-webgpu.js';

export { nodeWebGPU };

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
  gpu: true,
  detect(caps) {
    if (!caps.webgpu) {
      const hint =
        caps.environment === 'node'
          ? '; in Node install the optional "webgpu" package (npm i webgpu)'
          : '';
      return {
        ok: false,
        reason: `navigator.gpu is missing (environment: ${caps.environment})${hint}`,
      };
    }
    if (!caps.webgpuAdapter)
      return { ok: false, reason: 'navigator.gpu.requestAdapter() granted no adapter' };
    const a = caps.webgpuAdapterInfo;
    const on = a
      ? ` (${[a.vendor, a.architecture, a.description].filter(Boolean).join(', ')})`
      : '';
    return {
      ok: true,
      reason: caps.webgpuFallback
        ? `WebGPU on a fallback (software) adapter${on}`
        : `WebGPU on a GPU adapter${on}`,
    };
  },
  async init() {
    await nodeWebGPU();
    // The package registers its backend on import, only where navigator.gpu exists.
    await import('@tensorflow/tfjs-backend-webgpu');
    await activateTfBackend('webgpu');
  },
  runtime: (caps) => ({
    threads: 1,
    simd: false,
    software: caps.webgpuFallback,
    adapter: caps.webgpuAdapterInfo ?? null,
  }),
};
