/**
 * The plain-JavaScript cpu backend: always available, the reference for numerical parity, and the
 * slowest. Last resort of every selection policy.
 */
import { activateTfBackend } from './activate.js';
import type { BackendDescriptor } from './types.js';

/**
 * Descriptor of the tfjs cpu backend.
 *
 * @example
 * ```ts
 * await cpuBackend.init({});
 * ```
 */
export const cpuBackend: BackendDescriptor = {
  name: 'cpu',
  canTrain: true,
  canInfer: true,
  gpu: false,
  detect: () => ({ ok: true, reason: 'plain JavaScript on the main thread (slowest)' }),
  async init() {
    await import('@tensorflow/tfjs-backend-cpu');
    await activateTfBackend('cpu');
  },
  runtime: () => ({ threads: 1, simd: false, software: false }),
};
