/**
 * Switching the active tfjs backend with the real cause of a failure. tfjs's `setBackend` only logs
 * why a backend factory failed and resolves `false`; wrapping the registered factory once keeps the
 * error so `resolveBackend`-style selection can list every cause.
 */
import { tf } from '../core/tf.js';
import { registerKernels } from './kernels.js';

const lastErrors = new Map<string, unknown>();
const wrapped = new Set<string>();

interface EngineInternals {
  registry: Record<string, unknown>;
  registryFactory?: Record<string, { priority: number }>;
}

function wrapFactory(name: string): void {
  if (wrapped.has(name)) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const factory = tf.findBackendFactory(name);
  // Only a never-initialised backend can be re-registered without disposing a live instance.
  if (!factory || engine.registry[name] != null) return;
  const priority = engine.registryFactory?.[name]?.priority ?? 1;
  tf.removeBackend(name);
  tf.registerBackend(
    name,
    async () => {
      try {
        const backend = await factory();
        if (name === 'cpu') quiet(backend);
        return backend;
      } catch (cause) {
        lastErrors.set(name, cause);
        throw cause;
      }
    },
    priority,
  );
  wrapped.add(name);
}

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js ..." to stderr
 * on its first tensor in Node (`firstUse`): noise on the stderr of every CLI command, which is for
 * errors. Marking the instance used keeps it off.
 */
function quiet(backend: unknown): void {
  if (backend && typeof backend === 'object' && 'firstUse' in backend)
    (backend as { firstUse: boolean }).firstUse = false;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (cause && typeof cause === 'object' && 'message' in cause)
    return String((cause as { message: unknown }).message);
  return String(cause);
}

/**
 * Registers pix2pix's kernels for `name` (src/backends/kernels.ts) and makes it the active tfjs
 * backend, or throws an `Error` carrying the factory's own failure as
 * message and `cause`. On failure the previously active backend is restored.
 *
 * @example
 * ```ts
 * await activateTfBackend('wasm');
 * ```
 */
export async function activateTfBackend(name: string): Promise<void> {
  if (!tf.findBackendFactory(name))
    throw new Error(`tfjs has no "${name}" backend registered in this runtime`);
  wrapFactory(name);
  // Any backend may create the cpu one lazily (small ops, fallbacks): quiet it whoever starts it.
  if (name !== 'cpu' && tf.findBackendFactory('cpu')) wrapFactory('cpu');
  quiet((tf.engine() as unknown as EngineInternals).registry.cpu);
  const previous = (tf.engine() as unknown as { backendName: string | null }).backendName;
  // pix2pix's kernels for this backend (src/backends/kernels.ts), in place before its first
  // computation: a replaced stock kernel's setupFunc runs when the backend starts.
  await registerKernels(name);
  lastErrors.delete(name);
  let ok = false;
  let thrown: unknown;
  try {
    ok = await tf.setBackend(name);
    if (ok) await tf.ready();
  } catch (e) {
    thrown = e;
  }
  if (ok && tf.getBackend() === name) return;
  const cause = thrown ?? lastErrors.get(name);
  const engine = tf.engine() as unknown as EngineInternals;
  if (previous && previous !== name && engine.registry[previous] != null)
    await tf.setBackend(previous);
  throw new Error(
    cause !== undefined ? describe(cause) : `tf.setBackend("${name}") returned false`,
    cause !== undefined ? { cause } : undefined,
  );
}
