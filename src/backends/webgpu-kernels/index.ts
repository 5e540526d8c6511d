/**
 * pix2pix's fused kernels for tfjs-backend-webgpu (see src/core/fused-kernels.ts), and the kernel
 * counter that measures what they save.
 */
import { tf } from '../../core/tf.js';
import { ADAM_KERNEL } from '../../core/fused-kernels.js';
import { adamWebGPU } from './adam.js';
import { BATCH_NORM_WEBGPU } from './batch-norm.js';
import { LOSS_WEBGPU } from './loss.js';

export { adamWebGPU } from './adam.js';
export { BATCH_NORM_WEBGPU } from './batch-norm.js';
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
  const kernels: Array<[string, tf.KernelFunc]> = [
    [ADAM_KERNEL, adamWebGPU],
    ...BATCH_NORM_WEBGPU,
    ...LOSS_WEBGPU,
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'webgpu'))
      tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
}
