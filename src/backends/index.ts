/**
 * Backend initialisation (minimal first version; selection policy and probes come with the
 * backends work). The only folder that imports `@tensorflow/tfjs-backend-*`.
 */
import { tf } from '../core/tf.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../core/errors.js';

export type BackendName = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

/**
 * Makes `name` the active tfjs backend, or throws a {@link BackendError} that says why not.
 *
 * @example
 * ```ts
 * await initBackend('wasm');
 * ```
 */
export async function initBackend(name: BackendName): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (cause) {
    throw new BackendError(`Backend "${name}" failed to initialise: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(`Backend "${name}" is not available here. Should be one of: cpu, wasm, webgl, webgpu (where the platform supports it).`);
  }
}
