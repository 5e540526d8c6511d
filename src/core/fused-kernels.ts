/**
 * Names and attributes of pix2pix-ts's own fused tfjs kernels: the contract between the model
 * (`src/pix2pix/`, which runs them through `tf.engine().runKernel` when the active backend has
 * them registered, and falls back to plain tfjs ops otherwise) and the backends (`src/backends/`,
 * which register implementations). Like tfjs-core's `kernel_names.ts`.
 */

/**
 * One Adam update of one parameter in PyTorch's form, in a single kernel:
 * `m' = b1 m + (1 - b1) g`, `v' = b2 v + (1 - b2) g^2`,
 * `p' = p - stepSize * m' / (sqrt(v') / bc2Sqrt + epsilon)`, evaluated in float32 in exactly
 * that order (each product and sum rounded to float32, as the op chain it replaces).
 * Inputs `{ param, grad, m, v }` (same shape, float32); outputs `[param', m', v']`.
 */
export const ADAM_KERNEL = 'Pix2PixAdam';

/**
 * Attributes of {@link ADAM_KERNEL}.
 *
 * @example
 * ```ts
 * const attrs: AdamKernelAttrs = { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 2e-4 / (1 - 0.5), bc2Sqrt: Math.sqrt(1 - 0.999) };
 * ```
 */
// A type alias, not an interface, so it is assignable to tfjs's `NamedAttrMap` index signature.
export type AdamKernelAttrs = {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** `lr / (1 - beta1^t)`. */
  stepSize: number;
  /** `sqrt(1 - beta2^t)`. */
  bc2Sqrt: number;
};
