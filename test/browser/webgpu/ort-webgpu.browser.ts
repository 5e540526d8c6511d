import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-web/webgpu';
import { suite, measure } from '../support/runner.js';
import { createPix2Pix, useOnnxRuntimeWeb, type PixelImage } from '../../../src/index.js';
import { planBackends, probeCapabilities } from '../../../src/backends/index.js';

// onnxruntime-web's .wasm files, served by the harness from node_modules/onnxruntime-web/dist/.
(ort.env.wasm as { wasmPaths?: string }).wasmPaths = new URL('/ort-web/', location.href).href;
useOnnxRuntimeWeb(ort);

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

async function bytes(path: string): Promise<Uint8Array> {
  const res = await fetch(new URL(path, location.href));
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const test = suite('ort-webgpu in headless Chromium (SwiftShader adapter)');

test('auto does not prefer ort-webgpu on a fallback adapter', async () => {
  const caps = await probeCapabilities();
  const plan = planBackends(caps, 'infer');
  const entry = plan.find((p) => p.name === 'ort-webgpu');
  measure('ort-webgpu plan entry', JSON.stringify(entry));
  assert.ok(entry?.ok);
  assert.match(
    entry!.demoted ?? '',
    /fallback \(software\) adapter and is never auto-preferred over WASM/,
  );
  assert.ok(
    plan.findIndex((p) => p.name === 'ort-webgpu') > plan.findIndex((p) => p.name === 'wasm'),
  );
});

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  test(`translates the golden ${cfg} input as wasm does (1e-5 relative L2)`, async () => {
    const weights = await bytes(`/fixtures/golden/${cfg}/G.pth`);
    const chw = new Float32Array((await bytes(`/fixtures/golden/${cfg}/input__real_A.f32`)).buffer);
    const n = 64 * 64;
    const data = new Float32Array(n * 3);
    for (let k = 0; k < 3; k++) for (let p = 0; p < n; p++) data[p * 3 + k] = chw[k * n + p];
    const x: PixelImage = { data, width: 64, height: 64, channels: 3 };
    const a = await createPix2Pix({ backend: 'ort-webgpu', weights, mode: 'eval' });
    const b = await createPix2Pix({ backend: 'wasm', weights, mode: 'eval' });
    try {
      measure(`${cfg} backend`, `${a.backendInfo.name}: ${a.backendInfo.reason}`);
      assert.is(a.backendInfo.name, 'ort-webgpu', a.backendInfo.reason);
      const [ya, yb] = [await a.translateFloat(x), await b.translateFloat(x)];
      const err = relL2(ya.data, yb.data);
      measure(`${cfg} ort-webgpu vs wasm rel L2`, err.toExponential(2));
      assert.ok(err <= 1e-5, `rel L2 ${err}`);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
}

test.run();
