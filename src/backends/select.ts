/**
 * Backend selection policy, after onnxruntime's `resolveBackend`: try candidates in order, remember
 * each failure, and when none works throw one error that lists every cause.
 *
 * Policy for `backend: 'auto'`:
 * - training: WebGL2 on a real GPU with float32 render targets, then WebGPU on a real adapter,
 *   then WASM, then software WebGL / fallback WebGPU, then CPU;
 * - inference: WebGL2 on a real GPU, then the onnxruntime engine of the environment (`ort-node` in
 *   Node; `ort-webgpu` in browsers on a real WebGPU adapter), then WASM (tfjs itself picks
 *   threaded SIMD, SIMD or plain), then WebGPU on a real adapter, then software WebGL / fallback
 *   WebGPU, then CPU. An onnxruntime engine runs the eval-mode generator only: choosing it also
 *   chooses a tfjs backend under it (`BackendInfo.tfjs`, by the same policy without the engines)
 *   for the weights, training and paper mode. A missing or broken onnxruntime package is a
 *   fallback, and the reason names it with its cause.
 * A software WebGL (SwiftShader, llvmpipe) is never auto-preferred over WASM: it is slower than
 * XNNPACK on the same CPU. Naming a backend (or a list) overrides the policy, software or not.
 */
import { BackendError } from '../core/errors.js';
import { cpuBackend } from './cpu.js';
import { probeCapabilities } from './probe.js';
import type { Capabilities, GpuAdapterSummary } from './probe.js';
import { BACKEND_NAMES } from './types.js';
import type {
  BackendDescriptor,
  BackendInitOptions,
  BackendName,
  Detection,
  Purpose,
} from './types.js';
import { wasmBackend } from './wasm.js';
import { webglBackend } from './webgl.js';
import { webgpuBackend } from './webgpu.js';
import { ortNodeBackend } from './ort-node.js';
import { ortWebGPUBackend } from './ort-webgpu.js';

/** `'auto'`, one backend, or backends to try in order. */
export type BackendRequest = 'auto' | BackendName | readonly BackendName[];

/**
 * Options of {@link selectBackend}.
 *
 * @example
 * ```ts
 * const opts: SelectBackendOptions = { backend: ['webgl', 'wasm'], purpose: 'train' };
 * ```
 */
export interface SelectBackendOptions extends BackendInitOptions {
  /** @defaultValue `'auto'` */
  backend?: BackendRequest;
  /** @defaultValue `'infer'` */
  purpose?: Purpose;
  /**
   * Capabilities to select from instead of probing (a worker can reuse the main thread's probe;
   * tests pass simulated sets).
   * @defaultValue the result of {@link probeCapabilities}
   */
  capabilities?: Capabilities;
}

/**
 * What was selected and why.
 *
 * @example
 * ```ts
 * const info = await selectBackend({ purpose: 'train' });
 * console.log(info.name, info.reason, info.tried);
 * ```
 */
export interface BackendInfo {
  name: BackendName;
  /** Why this backend, in words (the policy's rule and what the backend runs on). */
  reason: string;
  /** Candidates ranked before the chosen one that were unavailable or failed, in order. */
  tried: { name: BackendName; error: string }[];
  capabilities: Capabilities;
  /** CPU threads the backend computes with (wasm: XNNPACK pool; others: 1). */
  threads: number;
  /** The wasm SIMD binary runs. */
  simd: boolean;
  /** A GPU backend on a software rasterizer. */
  software: boolean;
  /** webgpu: the adapter (vendor, architecture, device, description, fallback); absent for the others. */
  adapter?: GpuAdapterSummary | null;
  /**
   * When `name` is an onnxruntime engine (`ort-node`, `ort-webgpu`): the tfjs backend under it,
   * which holds the weights and runs training and paper-mode inference.
   */
  tfjs?: BackendInfo;
}

/** Descriptors by name; tests and embedders may pass a subset. */
export type BackendTable = Readonly<Partial<Record<BackendName, BackendDescriptor>>>;

/**
 * One entry of a selection plan.
 *
 * @example
 * ```ts
 * const c: PlanEntry = { name: 'wasm', ok: true, reason: 'WASM SIMD with threads (8 cores)' };
 * ```
 */
export interface PlanEntry extends Detection {
  name: BackendName;
  /** Set when the policy moved this backend down (software GPU below WASM). */
  demoted?: string;
}

/** The descriptors, by name. */
export const BACKENDS: Readonly<Record<BackendName, BackendDescriptor>> = {
  cpu: cpuBackend,
  wasm: wasmBackend,
  webgl: webglBackend,
  webgpu: webgpuBackend,
  'ort-node': ortNodeBackend,
  'ort-webgpu': ortWebGPUBackend,
};

const PURPOSE_WORD: Record<Purpose, string> = { train: 'training', infer: 'inference' };

function validateRequest(backend: unknown): BackendName[] | 'auto' {
  const valid = `auto, ${BACKEND_NAMES.join(', ')}, or a non-empty list of those names`;
  if (backend === 'auto') return 'auto';
  if (typeof backend === 'string') {
    if ((BACKEND_NAMES as readonly string[]).includes(backend)) return [backend as BackendName];
    throw new TypeError(
      `Unsupported backend "${backend}" in option "backend". Should be one of: ${valid}.`,
    );
  }
  if (Array.isArray(backend) && backend.length > 0) {
    for (const b of backend) {
      if (!(BACKEND_NAMES as readonly unknown[]).includes(b))
        throw new TypeError(
          `Unsupported backend ${JSON.stringify(b)} in option "backend". Should be one of: ${valid}.`,
        );
    }
    return [...new Set(backend as BackendName[])];
  }
  throw new TypeError(`Option "backend" must be ${valid}; got ${JSON.stringify(backend)}.`);
}

/** Detection plus the purpose's own requirements (training on WebGL needs float32 render targets). */
function detectFor(
  d: BackendDescriptor | undefined,
  caps: Capabilities,
  purpose: Purpose,
): Detection {
  if (!d) return { ok: false, reason: 'not part of this build' };
  if (purpose === 'train' && !d.canTrain) return { ok: false, reason: 'cannot train' };
  if (purpose === 'infer' && !d.canInfer) return { ok: false, reason: 'cannot run inference' };
  const det = d.detect(caps);
  if (det.ok && purpose === 'train' && d.name === 'webgl' && !caps.webglFloatRenderable) {
    return {
      ok: false,
      reason: `${det.reason}: cannot render to float32 textures (no EXT_color_buffer_float), so training would run in half precision`,
    };
  }
  return det;
}

function isSoftware(name: BackendName, caps: Capabilities): boolean {
  return (
    (name === 'webgl' && caps.webglSoftware) ||
    ((name === 'webgpu' || name === 'ort-webgpu') && caps.webgpuFallback)
  );
}

/**
 * The ordered candidates for a request, without initialising anything: the whole policy as a pure
 * function of the capabilities.
 *
 * @example
 * ```ts
 * planBackends(await probeCapabilities(), 'train', 'auto').filter((c) => c.ok).map((c) => c.name);
 * // e.g. ['wasm', 'webgl', 'cpu'] in headless Chromium (SwiftShader WebGL comes after WASM)
 * ```
 */
export function planBackends(
  caps: Capabilities,
  purpose: Purpose,
  request: BackendRequest = 'auto',
  backends: BackendTable = BACKENDS,
): PlanEntry[] {
  return plan(caps, purpose, request, backends, true);
}

function plan(
  caps: Capabilities,
  purpose: Purpose,
  request: BackendRequest,
  backends: BackendTable,
  engines: boolean,
): PlanEntry[] {
  const names = validateRequest(request);
  if (names !== 'auto')
    return names.map((name) => ({ name, ...detectFor(backends[name], caps, purpose) }));
  const entry = (name: BackendName): PlanEntry => ({
    name,
    ...detectFor(backends[name], caps, purpose),
  });
  const gpuFirst: PlanEntry[] = [];
  const demoted: PlanEntry[] = [];
  for (const name of purpose === 'train' ? (['webgl', 'webgpu'] as const) : (['webgl'] as const)) {
    const e = entry(name);
    if (e.ok && isSoftware(name, caps)) {
      const what =
        name === 'webgl'
          ? `software renderer ${caps.webglRenderer}`
          : 'a fallback (software) adapter';
      demoted.push({
        ...e,
        demoted: `${name === 'webgl' ? 'WebGL2' : 'WebGPU'} runs on ${what} and is never auto-preferred over WASM`,
      });
    } else gpuFirst.push(e);
  }
  const order = [...gpuFirst];
  // The onnxruntime engines: only in the environment each runs in, only when compiled in.
  if (purpose === 'infer' && engines) {
    if (caps.environment === 'node' && backends['ort-node']) order.push(entry('ort-node'));
    if (caps.environment !== 'node' && backends['ort-webgpu']) {
      const o = entry('ort-webgpu');
      if (o.ok && isSoftware('ort-webgpu', caps))
        demoted.push({
          ...o,
          demoted:
            'onnxruntime-web WebGPU runs on a fallback (software) adapter and is never auto-preferred over WASM',
        });
      else if (o.ok) order.push(o);
    }
  }
  order.push(entry('wasm'));
  if (purpose === 'infer') {
    const g = entry('webgpu');
    if (g.ok && isSoftware('webgpu', caps))
      demoted.push({
        ...g,
        demoted:
          'WebGPU runs on a fallback (software) adapter and is never auto-preferred over WASM',
      });
    else order.push(g);
  }
  return [...order, ...demoted, entry('cpu')];
}

let queue: Promise<unknown> = Promise.resolve();

const warned = new Set<string>();
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/**
 * Picks and initialises a backend: `'auto'` follows the policy above, a name forces that backend,
 * a list tries its names in order. Calls are serialised (one backend switch at a time).
 *
 * @throws {BackendError} when the requested backend(s) cannot run here; the message lists every
 *   cause and the backends that are available.
 * @throws {TypeError} for an unknown backend name or purpose.
 *
 * @example
 * ```ts
 * const info = await selectBackend({ backend: 'auto', purpose: 'infer' });
 * console.log(`${info.name}: ${info.reason}`); // e.g. "wasm: inference: WASM SIMD with threads (8 cores); ..."
 * ```
 */
export function selectBackend(
  options: SelectBackendOptions = {},
  backends: BackendTable = BACKENDS,
): Promise<BackendInfo> {
  const run = queue.then(() => select(options, backends, true));
  queue = run.catch(() => undefined);
  return run;
}

async function select(
  options: SelectBackendOptions,
  backends: BackendTable,
  engines: boolean,
): Promise<BackendInfo> {
  const { backend = 'auto', purpose = 'infer', capabilities, ...initOptions } = options;
  if (purpose !== 'train' && purpose !== 'infer')
    throw new TypeError(
      `Unsupported purpose "${String(purpose)}" in option "purpose". Should be one of: train, infer.`,
    );
  const names = validateRequest(backend);
  // Dawn is loaded (Node) only when this request could end on WebGPU: not for an explicit other
  // backend, nor for `auto` inference, where WASM always ranks before WebGPU in Node.
  const mayUseWebGPU = names === 'auto' ? purpose === 'train' : names.includes('webgpu');
  const caps = capabilities ?? (await probeCapabilities({ nodeWebGPU: mayUseWebGPU }));
  const candidates = plan(caps, purpose, backend, backends, engines);
  const tried: BackendInfo['tried'] = [];
  const failed = new Set<string>();
  const causes: Error[] = [];
  for (const [i, c] of candidates.entries()) {
    if (!c.ok) {
      tried.push({ name: c.name, error: c.reason });
      causes.push(new Error(`${c.name}: ${c.reason}`));
      continue;
    }
    const d = backends[c.name]!;
    try {
      await d.init(initOptions);
    } catch (cause) {
      // Bad options are the caller's to fix, not a reason to fall back silently.
      if (
        cause instanceof TypeError ||
        cause instanceof RangeError ||
        cause instanceof BackendError
      )
        throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      tried.push({ name: c.name, error: message });
      failed.add(c.name);
      causes.push(new Error(`${c.name}: ${message}`, { cause }));
      continue;
    }
    const notes = candidates
      .slice(i + 1)
      .filter((p) => p.demoted)
      .map((p) => p.demoted);
    const how = backend === 'auto' ? PURPOSE_WORD[purpose] : `${PURPOSE_WORD[purpose]}, requested`;
    const { detail, ...runtime } = d.runtime(caps);
    // An engine that could not load says why (not installed, failed to load, and the cause).
    const plain = tried
      .filter((t) => !backends[t.name]?.engine && !failed.has(t.name))
      .map((t) => t.name);
    // No silent downgrade: a backend that should have run but failed to start is named with its
    // error, and said once on the console.
    const broken = tried.filter((t) => !backends[t.name]?.engine && failed.has(t.name));
    const engineNotes = tried
      .filter((t) => backends[t.name]?.engine)
      .map((t) => `not ${t.name}: ${t.error}`);
    const reason = [
      `${how}: ${detail ?? c.reason}`,
      ...broken.map((t) => `${t.name} failed to start (${t.error})`),
      ...(plain.length ? [`not ${plain.join(', ')} (unavailable)`] : []),
      ...engineNotes,
      ...notes,
    ].join('; ');
    for (const t of broken)
      warnOnce(
        `${t.name}\n${t.error}`,
        `pix2pix-ts: the ${t.name} backend failed to start, so ${c.name} runs instead: ${t.error}`,
      );
    const info: BackendInfo = { name: c.name, reason, tried, capabilities: caps, ...runtime };
    if (d.engine) {
      // The tfjs backend under the engine: the rest of the request if it names tfjs backends,
      // else the same policy without the engines.
      const rest = names === 'auto' ? [] : names.slice(i + 1).filter((n) => !backends[n]?.engine);
      info.tfjs = await select(
        { ...options, backend: rest.length ? rest : 'auto', capabilities: caps },
        backends,
        false,
      );
    }
    return info;
  }
  const available = BACKEND_NAMES.filter((n) => detectFor(backends[n], caps, purpose).ok);
  const hint = `Should be one of: ${available.length ? available.join(', ') : '(none)'} (the backends available here for ${PURPOSE_WORD[purpose]}).`;
  const cause = new AggregateError(causes, 'every candidate backend failed');
  if (names !== 'auto' && names.length === 1) {
    const only = candidates[0]!;
    const verb = only.ok ? 'failed to initialise' : 'is not available here';
    throw new BackendError(`Backend "${only.name}" ${verb}: ${tried[0]?.error}. ${hint}`, {
      cause,
    });
  }
  const list = tried.map((t) => `${t.name}: ${t.error}`).join('; ');
  const head =
    names === 'auto'
      ? `No backend could be initialised for ${PURPOSE_WORD[purpose]}`
      : `None of the requested backends (${names.join(', ')}) could be initialised`;
  throw new BackendError(`${head}. Tried in order: ${list}. ${hint}`, { cause });
}
