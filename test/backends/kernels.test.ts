import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { KERNELS, registerKernels, stockKernel } from '../../src/backends/kernels.js';
import { NODE_BACKENDS } from '../support/env.js';

const t = suite('the kernel list');

t('names each kernel once per backend', () => {
  const keys = KERNELS.map((k) => `${k.backendName}/${k.kernelName}`);
  assert.equal(
    keys.filter((k, i) => keys.indexOf(k) !== i),
    [],
  );
  assert.ok(KERNELS.length >= 20, `${KERNELS.length} entries`);
});

t('loads a function for every entry', async () => {
  for (const k of KERNELS) {
    const f = await k.load();
    assert.type(f, 'function', `${k.backendName}/${k.kernelName}`);
  }
});

for (const backend of NODE_BACKENDS) {
  t(`a ${backend} backend that starts has every kernel of its entries registered`, async () => {
    await initBackend(backend);
    const mine = KERNELS.filter((k) => k.backendName === backend);
    assert.ok(mine.length > 0);
    for (const k of mine) {
      const registered = tf.getKernel(k.kernelName, backend);
      assert.ok(registered, `${backend}/${k.kernelName} registered`);
      if (k.replaces) {
        const stock = stockKernel(backend, k.kernelName);
        assert.ok(stock, `${backend}/${k.kernelName}: the stock kernel is kept`);
        assert.is.not(registered.kernelFunc, stock.kernelFunc);
        assert.is(registered.setupFunc, stock.setupFunc, 'keeps the stock setupFunc');
      }
    }
  });
}

t('registering again leaves the registered kernels as they are', async () => {
  await initBackend('wasm');
  const before = KERNELS.filter((k) => k.backendName === 'wasm').map((k) =>
    tf.getKernel(k.kernelName, 'wasm'),
  );
  await registerKernels('wasm');
  const after = KERNELS.filter((k) => k.backendName === 'wasm').map((k) =>
    tf.getKernel(k.kernelName, 'wasm'),
  );
  assert.equal(
    after.map((k, i) => k === before[i]),
    before.map(() => true),
  );
});

t('a replacing entry with no stock kernel to replace fails and says so', async () => {
  try {
    await registerKernels('cpu', [
      {
        backendName: 'cpu',
        kernelName: 'NoSuchStockKernel',
        replaces: true,
        load: async () => (stock) => stock.kernelFunc,
      },
    ]);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, Error);
    assert.match((e as Error).message, /registered no NoSuchStockKernel kernel/);
  }
  assert.not.ok(tf.getKernel('NoSuchStockKernel', 'cpu'));
});

t('an added entry takes over a kernel someone else registered under its name', async () => {
  const other: tf.KernelFunc = () => [];
  const mine: tf.KernelFunc = () => [];
  tf.registerKernel({ kernelName: 'Pix2PixTestKernel', backendName: 'cpu', kernelFunc: other });
  await registerKernels('cpu', [
    { backendName: 'cpu', kernelName: 'Pix2PixTestKernel', load: async () => mine },
  ]);
  assert.is(tf.getKernel('Pix2PixTestKernel', 'cpu')?.kernelFunc, mine);
  tf.unregisterKernel('Pix2PixTestKernel', 'cpu');
});

t.run();
