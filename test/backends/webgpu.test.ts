import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { tf } from '../../src/core/tf.js';
import { initBackend, probeCapabilities } from '../../src/backends/index.js';
import { ADAM_KERNEL } from '../../src/core/fused-kernels.js';
import { verifyGolden } from '../../src/pix2pix/golden.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { countKernels, formatKernelCount } from '../../src/bench/op-count.js';
import { dirSource } from '../../src/cli/fs-source.js';
import { fixture } from '../support/env.js';

// Without a GPU, Dawn (the `webgpu` package) still finds an adapter through Chromium's SwiftShader
// Vulkan driver, which CI installs with Chromium. Read when the first adapter is requested.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const test = suite('webgpu backend in Node (Dawn)');
let available = false;

test.before(async () => {
  const caps = await probeCapabilities();
  available = caps.webgpuAdapter;
  if (!available) {
    const why = `no WebGPU adapter in Node (webgpu package loaded: ${caps.webgpu}; VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'})`;
    if (process.env.CI)
      throw new Error(
        `${why}; CI installs Chromium, whose SwiftShader Vulkan driver Dawn should find`,
      );
    console.log(`# SKIPPED webgpu tests: ${why}`);
  }
});

test('reports the adapter it runs on and registers the fused Adam kernel', async () => {
  if (!available) return;
  const info = await initBackend('webgpu');
  console.log(`# webgpu in Node: ${info.reason}`);
  assert.is(tf.getBackend(), 'webgpu');
  assert.ok(info.adapter, 'backendInfo.adapter is missing');
  assert.type(info.adapter!.description, 'string');
  assert.is(info.software, info.adapter!.fallback);
  assert.ok(tf.getKernel(ADAM_KERNEL, 'webgpu'), `${ADAM_KERNEL} is not registered for webgpu`);
});

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  test(`matches the PyTorch reference on webgpu (${cfg})`, async () => {
    if (!available) return;
    await initBackend('webgpu');
    const before = tf.memory().numTensors;
    const checks = await verifyGolden(dirSource(fixture('golden', cfg)));
    const worst: Record<string, number> = {};
    for (const c of checks) {
      const kind = c.name.split(' ')[0]!;
      worst[kind] = Math.max(worst[kind] ?? 0, c.error);
    }
    console.log(
      `# ${cfg} webgpu (Node, ${(await probeCapabilities()).webgpuAdapterInfo?.description}): ${checks.length} checks; worst error by kind: ${Object.entries(
        worst,
      )
        .map(([k, v]) => `${k} ${v.toExponential(2)}`)
        .join(', ')}`,
    );
    assert.equal(
      checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error} > ${c.bound}`),
      [],
    );
    assert.ok(checks.length > 60, `only ${checks.length} checks ran`);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  });
}

// GPU programs of one UNet-256-topology training step (batch norm, batch 1, ngf = ndf = 1): 513
// before one G forward per step, the fused activation and dropout kernels and D's running
// statistics once per step; 395 after on SwiftShader. How tfjs splits a convolution (Im2Col +
// MatMul or one program) depends on the width and the adapter, hence the margin.
const STEP_PROGRAM_BOUND = 400;

test(`a UNet-256-topology training step runs at most ${STEP_PROGRAM_BOUND} GPU programs`, async () => {
  if (!available) return;
  await initBackend('webgpu');
  const model = new Pix2PixModel({
    generator: { numDowns: 8, ngf: 1 },
    discriminator: { ndf: 1, nLayers: 3 },
  });
  const a = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  try {
    await model.trainStep(a, b);
    const { count } = await countKernels(() => model.trainStep(a, b));
    console.log(`# webgpu training step: ${count.total} kernels, ${count.programs} GPU programs`);
    assert.ok(
      count.programs! <= STEP_PROGRAM_BOUND,
      `${count.programs} programs > ${STEP_PROGRAM_BOUND}:\n${formatKernelCount(count)}`,
    );
  } finally {
    model.dispose();
    tf.dispose([a, b]);
  }
});

test.run();
