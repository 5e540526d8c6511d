import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { conv2dGeometry } from '../../../src/backends/wasm-kernels/index.js';
import { setWasmSimdEnabled, wasmSimd } from '../../../src/backends/wasm-simd/index.js';
import { dwBlockPixels } from '../../../src/backends/wasm-simd/conv2d-backprop-filter.js';
import { randn, relL2 } from '../wasm-kernels/support.js';

const test = suite('Conv2DBackpropFilter on the own wasm SIMD module');

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  s: number;
  pad: number | 'same' | 'valid';
}
// Channel counts that hit every register tile (4x8, 4x4, 1x8, 1x4, scalar tails), several
// blocks of rows, batch > 1, padding on every side, strides 1 and 2.
const cases: Case[] = [
  { x: [2, 34, 20, 7], k: [4, 4], co: 13, s: 2, pad: 1 },
  { x: [1, 31, 31, 8], k: [4, 4], co: 12, s: 1, pad: 1 },
  { x: [3, 9, 11, 5], k: [3, 3], co: 2, s: 2, pad: 'same' },
  { x: [1, 64, 64, 3], k: [4, 4], co: 16, s: 2, pad: 1 },
  { x: [2, 4, 4, 64], k: [4, 4], co: 32, s: 2, pad: 1 },
  // Enough work to be split between threads (MIN_MACS_PER_THREAD in pool.ts) where helpers run.
  { x: [2, 32, 32, 32], k: [4, 4], co: 40, s: 2, pad: 1 },
];

function dwOn(
  name: 'cpu' | 'wasm',
  c: Case,
  xv: Float32Array,
  dyv: Float32Array,
  dyShape: number[],
) {
  const x = tf.tensor4d(xv, c.x);
  const dy = tf.tensor4d(dyv, dyShape as [number, number, number, number]);
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.s,
    pad: c.pad,
    dataFormat: 'NHWC',
    filterShape: [...c.k, c.x[3], c.co],
  } as never) as tf.Tensor;
  const v = dw.dataSync() as Float32Array;
  tf.dispose([x, dy, dw]);
  void name;
  return v;
}

test.before(async () => {
  await initBackend('wasm');
  assert.ok(wasmSimd(tf.backend() as unknown as BackendWasm), 'the module is loaded');
});

test('runs helper threads in Node when tfjs runs its threaded binary', () => {
  const threads = getThreadsCount();
  const simd = wasmSimd(tf.backend() as unknown as BackendWasm)!;
  assert.is(simd.pool?.size ?? 0, simd.shared ? threads - 1 : 0, `threads ${threads}`);
});

/** dW of one case on cpu, on wasm with the own SIMD kernel, and on wasm's XNNPACK path. */
async function dwThreeWays(c: Case, xv: Float32Array, dyv: Float32Array, dyShape: number[]) {
  await initBackend('cpu');
  const cpu = dwOn('cpu', c, xv, dyv, dyShape);
  await initBackend('wasm');
  const simd = dwOn('wasm', c, xv, dyv, dyShape);
  setWasmSimdEnabled(false);
  try {
    return { cpu, simd, xnn: dwOn('wasm', c, xv, dyv, dyShape) };
  } finally {
    setWasmSimdEnabled(true);
  }
}

for (const c of cases) {
  test(`matches cpu and the XNNPACK path for x [${c.x}] k ${c.k.join('x')} -> ${c.co}, stride ${c.s}, pad ${c.pad}`, async () => {
    const info = conv2dGeometry(c.x, [...c.k, c.x[3], c.co], c.s, c.pad, 'NHWC', undefined, 'test');
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.co];
    const xv = randn(
      c.x.reduce((a, b) => a * b),
      7,
    );
    const dyv = randn(
      dyShape.reduce((a, b) => a * b),
      8,
    );
    const { cpu, simd, xnn } = await dwThreeWays(c, xv, dyv, dyShape);
    assert.ok(relL2(simd, cpu) < 1e-6, `SIMD vs cpu: ${relL2(simd, cpu)}`);
    assert.ok(relL2(xnn, cpu) < 1e-6, `XNNPACK vs cpu: ${relL2(xnn, cpu)}`);
    // The SIMD path really ran: over several blocks of pixels its sums are not bitwise the
    // XNNPACK path's (one long sum each).
    if (c.x[0] * info.outHeight * info.outWidth > 2 * dwBlockPixels(c.co))
      assert.ok(
        simd.some((v, i) => v !== xnn[i]),
        'SIMD and XNNPACK results are bitwise equal',
      );
  });
}

test('rounds no worse than the XNNPACK path with its float64 block sums, over 2 x 4018 positions', async () => {
  // cpu sums in float64 (one rounding per output): the reference. 2 images of 192x80 -> 96x40.
  const c: Case = { x: [2, 192, 80, 3], k: [4, 4], co: 16, s: 2, pad: 1 };
  const dyShape = [2, 96, 40, 16];
  const xv = randn(
    c.x.reduce((a, b) => a * b),
    6,
  );
  const dyv = randn(
    dyShape.reduce((a, b) => a * b),
    7,
  );
  const { cpu, simd, xnn } = await dwThreeWays(c, xv, dyv, dyShape);
  const [es, ex] = [relL2(simd, cpu), relL2(xnn, cpu)];
  console.log(
    `# dW over 7680 positions, relative L2 from float64: SIMD ${es.toExponential(2)}, XNNPACK blocks ${ex.toExponential(2)}`,
  );
  assert.ok(es <= ex, `SIMD ${es} vs XNNPACK ${ex}`);
});

test.run();
