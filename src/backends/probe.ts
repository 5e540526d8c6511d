/**
 * Capability probe: what this runtime offers to the tfjs backends, measured rather than guessed
 * from the user agent. The selection policy (`select.ts`) works only from this object, so tests
 * can hand it simulated capability sets.
 */
import { nodeWebGPU } from './node-webgpu.js';
import { detectEnvironment, nodeBuiltin, type Environment } from '../core/env.js';

export { detectEnvironment, type Environment };

/**
 * What the probe found. Every field is plain data (structured-cloneable), so a worker can send
 * its own probe to the main thread.
 *
 * @example
 * ```ts
 * const caps = await probeCapabilities();
 * if (caps.webgl2 && !caps.webglSoftware) console.log('GPU:', caps.webglRenderer);
 * ```
 */
export interface Capabilities {
  environment: Environment;
  /** A WebGL2 context could be created (with `failIfMajorPerformanceCaveat: false`). */
  webgl2: boolean;
  /** float32 textures are color-renderable (`EXT_color_buffer_float`): needed for full-precision training. */
  webglFloatRenderable: boolean;
  /** Unmasked renderer string where the browser gives it, else `gl.RENDERER`; null without WebGL2. */
  webglRenderer: string | null;
  /** The renderer is a software rasterizer (SwiftShader, llvmpipe, softpipe, Microsoft Basic Render). */
  webglSoftware: boolean;
  /** Why WebGL2 is missing, when it is. */
  webglReason: string | null;
  /** WebAssembly is present. */
  wasm: boolean;
  /** A module with SIMD instructions validates. */
  wasmSimd: boolean;
  /** The threaded wasm binary can run here (see `wasmThreadsReason` when not). */
  wasmThreads: boolean;
  /** Why wasm threads are off, when they are. */
  wasmThreadsReason: string | null;
  /** `globalThis.crossOriginIsolated` (true in Node, where it does not apply). */
  crossOriginIsolated: boolean;
  /** `navigator.gpu` exists. */
  webgpu: boolean;
  /** `navigator.gpu.requestAdapter()` granted an adapter. */
  webgpuAdapter: boolean;
  /** The adapter is a fallback (software) adapter. */
  webgpuFallback: boolean;
  /** What the WebGPU adapter says of itself (`adapter.info`), when one was granted. */
  webgpuAdapterInfo?: GpuAdapterSummary | null;
  /** `navigator.hardwareConcurrency`, or `os.availableParallelism()` in Node; at least 1. */
  hardwareConcurrency: number;
}

/**
 * Why the threaded wasm binary is not used in Node. Measured with tfjs-backend-wasm 4.22 on Node 20:
 * the `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false under `IS_NODE` (tfjs issue 3830);
 * forcing it true makes emscripten start its pthread pool with `new Worker(blobURL)`, which Node's
 * `worker_threads` rejects (ERR_WORKER_PATH), and the worker script would then `importScripts` a
 * Blob, which its Node shim cannot read. So Node runs wasm on one thread (SIMD still on).
 */
export const NODE_WASM_THREADS_REASON =
  'tfjs-backend-wasm alone runs single-threaded in Node (its threaded binary starts pthreads from blob: URLs, which worker_threads refuses); pix2pix-ts starts that binary from files on worker_threads when the wasm backend initialises, so the thread count is fixed per process';

// From GoogleChromeLabs/wasm-feature-detect: the bytes tfjs-backend-wasm itself validates, so the
// probe agrees with the binary tfjs will load.
const SIMD_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26,
  11,
]);
const THREADS_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65,
  0, 254, 16, 2, 0, 26, 11,
]);

const SOFTWARE_RENDERER =
  /swiftshader|llvmpipe|softpipe|software|basic render driver|microsoft basic/i;

/**
 * Whether a WebGL renderer string names a software rasterizer.
 *
 * @example
 * ```ts
 * isSoftwareRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)'); // true
 * isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0)'); // false
 * ```
 */
export function isSoftwareRenderer(renderer: string | null | undefined): boolean {
  return renderer != null && SOFTWARE_RENDERER.test(renderer);
}

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

interface WebGLProbe {
  webgl2: boolean;
  floatRenderable: boolean;
  renderer: string | null;
  reason: string | null;
}

function probeWebGL(env: Environment): WebGLProbe {
  if (env === 'node')
    return { webgl2: false, floatRenderable: false, renderer: null, reason: 'Node has no WebGL' };
  let canvas: OffscreenCanvas | HTMLCanvasElement | null = null;
  try {
    if (typeof OffscreenCanvas === 'function') canvas = new OffscreenCanvas(1, 1);
    else if (typeof document === 'object') canvas = document.createElement('canvas');
  } catch {
    /* fall through to the reason below */
  }
  if (!canvas)
    return {
      webgl2: false,
      floatRenderable: false,
      renderer: null,
      reason: 'no canvas (no OffscreenCanvas in this worker)',
    };
  // The same attributes tfjs-backend-webgl asks for with SOFTWARE_WEBGL_ENABLED, so the probe sees
  // the context tfjs will get (failIfMajorPerformanceCaveat would hide SwiftShader).
  const gl = canvas.getContext('webgl2', {
    alpha: false,
    antialias: false,
    premultipliedAlpha: false,
    preserveDrawingBuffer: false,
    depth: false,
    stencil: false,
    failIfMajorPerformanceCaveat: false,
  }) as WebGL2RenderingContext | null;
  if (!gl)
    return {
      webgl2: false,
      floatRenderable: false,
      renderer: null,
      reason: 'getContext("webgl2") returned null (disabled or blocklisted GPU)',
    };
  try {
    const floatRenderable = gl.getExtension('EXT_color_buffer_float') != null;
    const dbg = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(dbg ? dbg.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    return { webgl2: true, floatRenderable, renderer, reason: null };
  } finally {
    // Browsers cap live contexts (16 in Chrome); release ours before tfjs makes its own.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/**
 * A WebGPU adapter's own description (`GPUAdapterInfo`), e.g. `{ vendor: 'nvidia', architecture:
 * 'ampere', device: '', description: 'NVIDIA GeForce RTX 3080' }`; browsers may leave fields empty.
 *
 * @example
 * ```ts
 * const info: GpuAdapterSummary = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0', fallback: true };
 * ```
 */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A fallback (software) adapter: SwiftShader, lavapipe, WARP. */
  fallback: boolean;
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(
    o?: unknown,
  ): Promise<{ isFallbackAdapter?: boolean; info?: AdapterInfoLike } | null>;
}

async function probeWebGPU(
  env: Environment,
  loadDawn: boolean,
): Promise<{
  webgpu: boolean;
  adapter: boolean;
  fallback: boolean;
  info: GpuAdapterSummary | null;
}> {
  let gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  // Node has no navigator.gpu: the optional `webgpu` package (Dawn) provides one when installed.
  if (!gpu && env === 'node' && loadDawn) gpu = (await nodeWebGPU()) as GpuLike | undefined;
  if (!gpu) return { webgpu: false, adapter: false, fallback: false, info: null };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { webgpu: true, adapter: false, fallback: false, info: null };
    const i = adapter.info ?? {};
    const fallback =
      Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
      /swiftshader|llvmpipe|lavapipe|warp|software/i.test(`${i.architecture} ${i.description}`);
    const info = {
      vendor: i.vendor ?? '',
      architecture: i.architecture ?? '',
      device: i.device ?? '',
      description: i.description ?? '',
      fallback,
    };
    return { webgpu: true, adapter: true, fallback, info };
  } catch {
    return { webgpu: true, adapter: false, fallback: false, info: null };
  }
}

function hardwareConcurrency(env: Environment): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (env !== 'node' && nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const os = nodeBuiltin('node:os');
  return Math.max(1, os?.availableParallelism?.() ?? nav?.hardwareConcurrency ?? 1);
}

let cached: Promise<Capabilities> | undefined;
let cachedWithDawn = false;

/**
 * Probes the runtime once (later calls return the same result unless `fresh` is set). Never throws:
 * anything that fails to probe is reported as unavailable, with a reason where one is known.
 *
 * `nodeWebGPU: false` skips loading Dawn (the optional `webgpu` package) in Node, so `webgpu` is
 * then false there unless Dawn was loaded before: loading it starts a Vulkan instance, which costs
 * time and prints driver warnings on machines without a GPU. `selectBackend` passes false unless
 * the request could pick WebGPU (`webgpu` named, or `auto` for training). Browsers always probe
 * `navigator.gpu`.
 *
 * @example
 * ```ts
 * const caps = await probeCapabilities();
 * console.log(caps.environment, caps.webglRenderer, caps.wasmSimd, caps.wasmThreads);
 * ```
 */
export function probeCapabilities(
  options: { fresh?: boolean; nodeWebGPU?: boolean } = {},
): Promise<Capabilities> {
  const withDawn = options.nodeWebGPU ?? true;
  if (!cached || options.fresh || (withDawn && !cachedWithDawn)) {
    cached = probe(withDawn);
    cachedWithDawn = withDawn;
  }
  return cached;
}

async function probe(loadDawn: boolean): Promise<Capabilities> {
  const environment = detectEnvironment();
  const gl = probeWebGL(environment);
  const gpu = await probeWebGPU(environment, loadDawn);
  const wasm = typeof WebAssembly === 'object';
  const wasmSimd = wasm && validates(SIMD_MODULE);
  const coi =
    environment === 'node'
      ? true
      : Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  let wasmThreadsReason: string | null = null;
  if (!wasm) wasmThreadsReason = 'no WebAssembly';
  else if (environment === 'node') wasmThreadsReason = NODE_WASM_THREADS_REASON;
  else if (typeof SharedArrayBuffer !== 'function' || !coi) {
    wasmThreadsReason =
      'the page is not cross-origin isolated (serve it with "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"), so SharedArrayBuffer is unavailable';
  } else if (!validates(THREADS_MODULE))
    wasmThreadsReason = 'WebAssembly threads (atomics) do not validate';
  else if (!wasmSimd)
    wasmThreadsReason = 'tfjs ships threads only in its SIMD binary, and SIMD is unavailable';
  return {
    environment,
    webgl2: gl.webgl2,
    webglFloatRenderable: gl.floatRenderable,
    webglRenderer: gl.renderer,
    webglSoftware: isSoftwareRenderer(gl.renderer),
    webglReason: gl.reason,
    wasm,
    wasmSimd,
    wasmThreads: wasmThreadsReason === null,
    wasmThreadsReason,
    crossOriginIsolated: coi,
    webgpu: gpu.webgpu,
    webgpuAdapter: gpu.adapter,
    webgpuFallback: gpu.fallback,
    webgpuAdapterInfo: gpu.info,
    hardwareConcurrency: hardwareConcurrency(environment),
  };
}
