import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { downloadFraction, downloadStatus } from '../../src/web/status-line.js';

const D = suite('status-line: the words and the bar while downloading');

D('says what is downloaded, how much, and of how much', () => {
  assert.is(
    downloadStatus({ what: 'model', loaded: 2 ** 19, total: 2 ** 21 }),
    'Downloading the model: 0.50 MB of 2.0 MB',
  );
  assert.is(downloadFraction({ what: 'model', loaded: 2 ** 19, total: 2 ** 21 }), 0.25);
});

D('leaves the total out, and the bar indeterminate, when the server sends no length', () => {
  const p = { what: 'model engine', loaded: 3 * 2 ** 20, total: null };
  assert.is(downloadStatus(p), 'Downloading the model engine: 3.0 MB');
  assert.is(downloadFraction(p), null);
  assert.is(downloadFraction({ ...p, total: 0 }), null);
});

D('never fills the bar past the end when more arrives than announced', () => {
  assert.is(downloadFraction({ what: 'model', loaded: 12, total: 10 }), 1);
});

D.run();
