/**
 * Micro-benchmark of the wasm conv kernels on pix2pix's UNet-256 (ngf 64) shapes: stock
 * tfjs-backend-wasm `Conv2DBackpropInput` vs ours, our `Conv2DBackpropFilter`, and XNNPACK
 * `Conv2D` of the same size as a reference. Prints GMAC/s; not a test (no timing assertions).
 * Run: `node scripts/bench-kernels.mjs`.
 */
import { tf } from '../core/tf.js';
import { initBackend } from '../backends/index.js';
import { registerWasmKernels, stockConv2dBackpropInput } from '../backends/wasm-kernels/index.js';

/** One benchmark row. */
export interface KernelBenchRow {
  name: string;
  gmac: number;
  stockGmacPerS?: number;
  oursGmacPerS: number;
  referenceGmacPerS?: number;
}

function timeIt(fn: () => void, minSeconds: number): number {
  fn();
  fn();
  let reps = 0;
  const t0 = performance.now();
  let dt = 0;
  do {
    fn();
    reps++;
    dt = (performance.now() - t0) / 1000;
  } while (dt < minSeconds && reps < 200);
  return dt / reps;
}

function rand(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', 7);
}

/**
 * Runs the benchmark on the wasm backend and returns (and prints) one row per shape.
 *
 * @example
 * ```ts
 * const rows = await benchWasmKernels({ minSeconds: 0.2 });
 * ```
 */
export async function benchWasmKernels({ minSeconds = 0.3, batch = 1 }: { minSeconds?: number; batch?: number } = {}): Promise<KernelBenchRow[]> {
  registerWasmKernels();
  await initBackend('wasm');
  const backend = tf.backend();
  const ours = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
  const stock = stockConv2dBackpropInput()!;
  const filterGrad = tf.getKernel('Conv2DBackpropFilter', 'wasm')!;
  const conv = tf.getKernel('Conv2D', 'wasm')!;
  const call = (k: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => () => {
    const out = k.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    backend.disposeData(out.dataId);
  };
  const rows: KernelBenchRow[] = [];
  // UNet-256 decoder: ConvTranspose2d(inC -> outC, k4, s2, p1) on [b, h, h, inC] (inC includes the skip).
  const decoder: [number, number, number][] = [
    [1, 512, 512], [2, 1024, 512], [4, 1024, 512], [8, 1024, 512], [16, 1024, 256], [32, 512, 128], [64, 256, 64], [128, 128, 3],
  ];
  for (const [h, inC, outC] of decoder) {
    const x = rand([batch, h, h, inC]);
    const w = rand([4, 4, outC, inC]);
    const gmac = (batch * h * h * inC * outC * 16) / 1e9;
    const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', inputShape: [batch, 2 * h, 2 * h, outC] };
    const tStock = timeIt(call(stock, { dy: x, filter: w }, attrs), minSeconds);
    const tOurs = timeIt(call(ours, { dy: x, filter: w }, attrs), minSeconds);
    // Same MACs as a forward conv of the output [2h,2h,outC] -> inC (the encoder-side conv).
    const y = rand([batch, 2 * h, 2 * h, outC]);
    const tConv = timeIt(call(conv, { x: y, filter: w }, { strides: 2, pad: 1, dataFormat: 'NHWC', dilations: 1 }), minSeconds);
    // The decoder weight gradient: Conv2DBackpropFilter(x = dOut, dy = layer input).
    const tFilt = timeIt(call(filterGrad, { x: y, dy: x }, { strides: 2, pad: 1, dataFormat: 'NHWC', filterShape: [4, 4, outC, inC] }), minSeconds);
    rows.push({ name: `convT [${batch},${h},${h},${inC}]->${outC} @${2 * h}`, gmac, stockGmacPerS: gmac / tStock, oursGmacPerS: gmac / tOurs, referenceGmacPerS: gmac / tConv });
    rows.push({ name: `  dW   [${batch},${2 * h},${2 * h},${outC}] x dy [${h},${h},${inC}]`, gmac, oursGmacPerS: gmac / tFilt, referenceGmacPerS: gmac / tConv });
    tf.dispose([x, w, y]);
  }
  // D's stride-1 convs (k4 s1 p1) on a 256 input: [1,31,31,256]->512 and [1,30,30,512]->1.
  for (const [h, inC, outC] of [[31, 256, 512], [30, 512, 1]] as const) {
    const oh = h - 1;
    const dy = rand([batch, oh, oh, outC]);
    const w = rand([4, 4, inC, outC]);
    const x = rand([batch, h, h, inC]);
    const gmac = (batch * oh * oh * inC * outC * 16) / 1e9;
    const attrs = { strides: 1, pad: 1, dataFormat: 'NHWC', inputShape: [batch, h, h, inC] };
    const tStock = timeIt(call(stock, { dy, filter: w }, attrs), minSeconds);
    const tOurs = timeIt(call(ours, { dy, filter: w }, attrs), minSeconds);
    const tConv = timeIt(call(conv, { x, filter: w }, { strides: 1, pad: 1, dataFormat: 'NHWC', dilations: 1 }), minSeconds);
    const tFilt = timeIt(call(filterGrad, { x, dy }, { strides: 1, pad: 1, dataFormat: 'NHWC', filterShape: [4, 4, inC, outC] }), minSeconds);
    rows.push({ name: `dx s1 [${batch},${h},${h},${inC}]<-${outC}`, gmac, stockGmacPerS: gmac / tStock, oursGmacPerS: gmac / tOurs, referenceGmacPerS: gmac / tConv });
    rows.push({ name: `  dW s1 [${batch},${h},${h},${inC}]->${outC}`, gmac, oursGmacPerS: gmac / tFilt, referenceGmacPerS: gmac / tConv });
    tf.dispose([dy, w, x]);
  }
  const f = (v?: number) => (v === undefined ? '     -' : v.toFixed(2).padStart(6));
  console.log(`wasm GMAC/s (batch ${batch}); ref = XNNPACK Conv2D with the same MACs`);
  console.log(`${'shape'.padEnd(44)}  GMAC  stock   ours  ratio    ref`);
  for (const r of rows) {
    const ratio = r.stockGmacPerS ? (r.oursGmacPerS / r.stockGmacPerS).toFixed(1).padStart(5) + 'x' : '     -';
    console.log(`${r.name.padEnd(44)} ${r.gmac.toFixed(3)} ${f(r.stockGmacPerS)} ${f(r.oursGmacPerS)} ${ratio} ${f(r.referenceGmacPerS)}`);
  }
  return rows;
}

const isMain = typeof process !== 'undefined' && process.argv[1] !== undefined && /bench[-/]kernels/.test(process.argv[1]);
if (isMain) {
  const batch = Number(process.env.BENCH_BATCH ?? 1);
  await benchWasmKernels({ batch });
}
