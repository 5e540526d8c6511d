/**
 * Node's WebGPU: the optional peer package `webgpu` (Google's Dawn, prebuilt), loaded when present.
 * Its own file so that the capability probe can use it without importing the backend descriptor
 * (which imports the selection types, which import the probe).
 */
import { detectEnvironment } from '../core/env.js';

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
  if (detectEnvironment() !== 'node') return Promise.resolve(undefined);
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
    const adapter = await gpu
      .requestAdapter({ powerPreference: 'high-performance' })
      .catch(() => null);
    if (!adapter) return gpu;
    const g = globalThis as unknown as Record<string, unknown> & {
      navigator?: Record<string, unknown>;
    };
    for (const [k, v] of Object.entries(pkg.globals)) if (!(k in g)) g[k] = v;
    if (g.navigator == null)
      Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
    if (!g.navigator!.gpu)
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    return gpu;
  })();
  return nodeGpu;
}
