import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend, probeCapabilities } from '../../../src/backends/index.js';
import { ADAM_KERNEL } from '../../../src/core/fused-kernels.js';
import { verifyGolden, type GoldenSource } from '../../../src/pix2pix/golden.js';
import { Pix2PixModel } from '../../../src/pix2pix/model.js';
import { countKernels } from '../../../src/bench/op-count.js';

/** A golden folder served by the harness under /fixtures/golden/<cfg>/. */
function fetchSource(cfg: string): GoldenSource {
  const base = new URL(`/fixtures/golden/${cfg}/`, location.href);
  return {
    location: base.href,
    async read(name) {
      const res = await fetch(new URL(name, base));
      if (!res.ok) throw new Error(`GET ${name}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

const test = suite('webgpu in headless Chromium (SwiftShader adapter)');

test('grants a fallback WebGPU adapter and starts the webgpu backend with the fused Adam kernel', async () => {
  const caps = await probeCapabilities();
  measure('webgpu adapter', JSON.stringify(caps.webgpuAdapterInfo));
  assert.is(caps.webgpu, true);
  assert.is(
    caps.webgpuAdapter,
    true,
    'no WebGPU adapter: are the SwiftShader WebGPU flags passed (harness CHROMIUM_WEBGPU_ARGS)?',
  );
  const info = await initBackend('webgpu');
  measure('forced webgpu', info.reason);
  assert.is(tf.getBackend(), 'webgpu');
  assert.is(info.software, true);
  assert.ok(tf.getKernel(ADAM_KERNEL, 'webgpu'));
});

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  test(`matches the PyTorch reference on webgpu (${cfg})`, async () => {
    await initBackend('webgpu');
    const before = tf.memory().numTensors;
    const checks = await verifyGolden(fetchSource(cfg));
    const worst: Record<string, number> = {};
    for (const c of checks) {
      const kind = c.name.split(' ')[0]!;
      worst[kind] = Math.max(worst[kind] ?? 0, c.error);
    }
    measure(
      `${cfg} webgpu worst error by kind (${checks.length} checks)`,
      Object.entries(worst)
        .map(([k, v]) => `${k} ${v.toExponential(2)}`)
        .join(', '),
    );
    assert.equal(
      checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error} > ${c.bound}`),
      [],
    );
    assert.ok(checks.length > 60, `only ${checks.length} checks ran`);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  });
}

test('a UNet-256-topology training step runs on webgpu with the fused kernels (kernel count, software timing)', async () => {
  await initBackend('webgpu');
  const model = new Pix2PixModel({ generator: { numDowns: 8, ngf: 1 }, discriminator: { ndf: 1 } });
  const a = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  try {
    await model.trainStep(a, b);
    const t0 = performance.now();
    const losses = await model.trainStep(a, b);
    measure(
      'UNet-256 topology (ngf 1) step on SwiftShader webgpu, ms (software: not a speed figure)',
      (performance.now() - t0).toFixed(0),
    );
    assert.ok(Object.values(losses).every(Number.isFinite));
    const { count } = await countKernels(() => model.trainStep(a, b));
    measure('kernels per step on webgpu', `${count.total} (${count.dispatching} launch GPU work)`);
    assert.is(
      count.byKernel.find(([n]) => n === ADAM_KERNEL)?.[1],
      model.optG.groupCount + model.optD.groupCount,
    );
  } finally {
    model.dispose();
    tf.dispose([a, b]);
  }
});

test.run();
