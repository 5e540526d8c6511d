// A fresh process: the cpu backend's first tensor is made here, after activation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';

const t = suite('activateTfBackend');

t('keeps tfjs-backend-cpu\'s "running TensorFlow.js in Node.js" banner off stderr', async () => {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (...m: unknown[]) => void seen.push(m.join(' '));
  try {
    await initBackend('cpu');
    const x = tf.tensor1d([1, 2, 3]);
    assert.equal(Array.from(x.dataSync()), [1, 2, 3]);
    x.dispose();
  } finally {
    console.warn = warn;
  }
  assert.equal(
    seen.filter((s) => /TensorFlow\.js in Node/.test(s)),
    [],
  );
});

t.run();
