import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';

/** Deterministic N(0,1)-ish floats (mulberry32 + Box-Muller), so failures reproduce. */
export function randn(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** ||a - b|| / ||b||, in float64. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/**
 * Runs `fn` on the cpu backend and then on wasm, each time inside a tidy, with the same input
 * data, and returns both outputs' values and shapes.
 */
export async function onCpuAndWasm(fn: () => tf.Tensor | tf.Tensor[]): Promise<{
  cpu: Float32Array[];
  wasm: Float32Array[];
  shapes: number[][];
  wasmShapes: number[][];
}> {
  const run = async (
    name: 'cpu' | 'wasm',
  ): Promise<{ vals: Float32Array[]; shapes: number[][] }> => {
    await initBackend(name);
    const outs = tf.tidy(() => {
      const r = fn();
      return Array.isArray(r) ? r : [r];
    });
    const vals = outs.map((t) => t.dataSync() as Float32Array);
    const shapes = outs.map((t) => t.shape);
    tf.dispose(outs);
    return { vals, shapes };
  };
  const c = await run('cpu');
  const w = await run('wasm');
  return { cpu: c.vals, wasm: w.vals, shapes: c.shapes, wasmShapes: w.shapes };
}

export const TOL = 1e-5;
