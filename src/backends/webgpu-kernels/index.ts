/**
 * pix2pix's fused kernels for tfjs-backend-webgpu (see src/core/fused-kernels.ts), and the kernel
 * counter that measures what they save.
 */
import { tf } from '../../core/tf.js';
import { ADAM_KERNEL } from '../../core/fused-kernels.js';
import { adamWebGPU } from './adam.js';

export { adamWebGPU } from './adam.js';
export { countKernels, formatKernelCount, type KernelCount } from './op-count.js';

/**
 * Registers pix2pix's fused kernels for `webgpu` (idempotent).
 *
 * @example
 * ```ts
 * registerWebGPUKernels();
 * ```
 */
export function registerWebGPUKernels(): void {
  if (!tf.getKernel(ADAM_KERNEL, 'webgpu')) tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'webgpu', kernelFunc: adamWebGPU });
}
