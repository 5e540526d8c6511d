import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { modelFromWeights } from '../../src/pix2pix/checkpoint.js';
import { defaultModelUrls } from '../../src/pix2pix/default-model.js';
import { initBackend } from '../../src/backends/index.js';

const M = suite('pix2pix/default-model');

M('the shipped model sits beside the bundle, one URL per file', () => {
  const urls = defaultModelUrls()!;
  assert.match(urls.json, /\/default-model\.json$/);
  assert.match(urls.weights, /\/default-model\.bin$/);
});

M('weights "default" load the shipped font model', async () => {
  await initBackend('cpu');
  const { model, kind } = await modelFromWeights('default');
  try {
    assert.is(kind, 'weights');
    assert.equal(
      [
        model.options.generator.numDowns,
        model.options.generator.ngf,
        model.options.generator.inputChannels,
        model.options.generator.outputChannels,
      ],
      [7, 16, 1, 1],
    );
  } finally {
    model.dispose();
  }
});

M.run();
