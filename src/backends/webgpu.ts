/**
 * The tfjs WebGPU backend. Loaded on demand (a dynamic import, so bundlers can split it off) since
 * most runs never use it. Needs `navigator.gpu` and a granted adapter: browsers have it; in Node
 * it comes from the optional `webgpu` package (Google's Dawn, prebuilt), installed as
 * `navigator.gpu` plus the `GPUBufferUsage`-style globals that tfjs-backend-webgpu expects.
 */
import { activateTfBackend } from './activate.js';
import type { BackendDescriptor } from './types.js';

let loaded: Promise<unknown> | undefined;
let nodeGpu: Promise<unknown> | undefined;

interface DawnPackage {
  create(flags: string[]): { requestAdapter(o?: unknown): Promise<unknown> };
  globals: Record<string, unknown>;
}

/**
 * In Node: loads the optional `webgpu` package once and, when it grants an adapter, installs its
 * GPU object as `navigator.gpu` and its constants (`GPUBufferUsage`, `GPUMapMode`, ...) as globals,
 * which is what tfjs-backend-webgpu looks for. Resolves to the GPU object, or undefined when the
 * package is not installed or cannot load. Elsewhere resolves to undefined without loading anything.
 * Which adapter Dawn finds depends on the Vulkan drivers (in Linux: `VK_ICD_FILENAMES` can point
 * it at a specific ICD, e.g. Chromium's SwiftShader `vk_swiftshader_icd.json`, read when the first
 * adapter is requested).
 *
 * @example
 * ```ts
 * const gpu = await nodeWebGPU();
 * if (gpu) console.log('Dawn loaded; navigator.gpu is', (globalThis as any).navigator?.gpu === gpu ? 'set' : 'not set (no adapter)');
 * ```
 */
export function nodeWebGPU(): Promise<unknown> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node || typeof (globalThis as { document?: unknown }).document === 'object') return Promise.resolve(undefined);
  nodeGpu ??= (async () => {
    // A specifier bundlers cannot follow: browser builds must not try to bundle Dawn's native addon.
    const specifier = 'webgpu';
    let pkg: DawnPackage;
    try {
      pkg = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as DawnPackage;
    } catch {
      return undefined;
    }
    const gpu = pkg.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (!adapter) return gpu;
    const g = globalThis as unknown as Record<string, unknown> & { navigator?: Record<string, unknown> };
    for (const [k, v] of Object.entries(pkg.globals)) if (!(k in g)) g[k] = v;
    if (g.navigator == null) Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
    if (!g.navigator!.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    return gpu;
  })();
  return nodeGpu;
}

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
    if (!caps.webgpu) {
      const hint = caps.environment === 'node' ? '; in Node install the optional "webgpu" package (npm i webgpu)' : '';
      return { ok: false, reason: `navigator.gpu is missing (environment: ${caps.environment})${hint}` };
    }
    if (!caps.webgpuAdapter) return { ok: false, reason: 'navigator.gpu.requestAdapter() granted no adapter' };
    const a = caps.webgpuAdapterInfo;
    const on = a ? ` (${[a.vendor, a.architecture, a.description].filter(Boolean).join(', ')})` : '';
    return { ok: true, reason: caps.webgpuFallback ? `WebGPU on a fallback (software) adapter${on}` : `WebGPU on a GPU adapter${on}` };
  },
  async init() {
    await nodeWebGPU();
    // The package registers its backend on import, only where navigator.gpu exists.
    loaded ??= Promise.all([import('@tensorflow/tfjs-backend-webgpu'), import('./webgpu-kernels/index.js')]).then(([, kernels]) => kernels.registerWebGPUKernels());
    await loaded;
    await activateTfBackend('webgpu');
  },
  runtime: (caps) => ({ threads: 1, simd: false, software: caps.webgpuFallback, adapter: caps.webgpuAdapterInfo ?? null }),
};
