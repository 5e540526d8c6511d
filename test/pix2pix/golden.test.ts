import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { verifyGolden } from '../../src/pix2pix/golden.js';
import { dirSource } from '../../src/cli/fs-source.js';
import { fixture, NODE_BACKENDS } from '../support/env.js';

for (const backend of NODE_BACKENDS) {
  for (const cfg of ['unet64_batch', 'unet64_instance']) {
    const test = suite(`golden ${cfg} on ${backend}`);
    test.before(async () => {
      await initBackend(backend);
    });
    test(`matches the PyTorch reference (${cfg}, ${backend})`, async () => {
      const before = tf.memory().numTensors;
      const checks = await verifyGolden(dirSource(fixture('golden', cfg)));
      const worst: Record<string, number> = {};
      for (const c of checks) {
        const kind = c.name.split(' ')[0];
        worst[kind] = Math.max(worst[kind] ?? 0, c.error);
      }
      console.log(
        `# ${cfg} ${backend}: ${checks.length} checks; worst error by kind: ${Object.entries(worst)
          .map(([k, v]) => `${k} ${v.toExponential(2)}`)
          .join(', ')}`,
      );
      const bad = checks.filter((c) => !c.ok);
      assert.equal(
        bad.map((c) => `${c.name}: ${c.error} > ${c.bound}`),
        [],
      );
      assert.ok(checks.length > 60, `only ${checks.length} checks ran`);
      assert.is(tf.memory().numTensors, before, 'tensors leaked');
    });
    test.run();
  }
}
