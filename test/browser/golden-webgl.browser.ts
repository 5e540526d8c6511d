// The golden parity suite (PyTorch reference dumps) on tfjs webgl, in headless Chromium on
// SwiftShader (float32 render targets).
import * as assert from 'uvu/assert';
import { suite, measure } from './support/runner.js';
import { checkGolden, GOLDEN_CONFIGS } from './support/golden.js';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';

const golden = suite('golden parity on webgl (SwiftShader)');

golden.before(async () => {
  const info = await initBackend('webgl', { purpose: 'train' });
  measure('backend', `${info.name}: ${info.reason}`);
  assert.is(tf.getBackend(), 'webgl');
  assert.is(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'), true);
  measure(
    'webgl flags',
    [
      'WEBGL_PACK',
      'WEBGL_USE_SHAPES_UNIFORMS',
      'WEBGL_PACK_DEPTHWISECONV',
      'WEBGL_CONV_IM2COL',
      'WEBGL_EXP_CONV',
    ]
      .map((f) => `${f}=${tf.env().get(f)}`)
      .join(' '),
  );
});

for (const config of GOLDEN_CONFIGS) {
  golden(`${config} matches the PyTorch reference within the bounds`, async () => {
    await checkGolden(config, 'webgl');
  });
}

golden.run();
