import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { onCpuAndWasm, randn, relL2 } from './support.js';

const sum = suite('Sum on wasm');

sum.before(async () => {
  await initBackend('wasm');
});

sum(
  'sums 65536 values per channel over the leading axes to float32 rounding of float64',
  async () => {
    // dy of a 256x256 bias gradient, values around 0.5: a float32 running sum drifts here.
    const C = 3;
    const v = randn(256 * 256 * C, 21).map((x) => 0.5 + x);
    const got = tf.sum(tf.tensor4d(v, [1, 256, 256, C]), [0, 1, 2]);
    const g = got.dataSync();
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = c; i < v.length; i += C) s += v[i]!;
      const err = Math.abs(g[c]! - s) / Math.abs(s);
      assert.ok(err <= 2 ** -24, `channel ${c}: relative error ${err}`);
    }
    got.dispose();
  },
);

sum("gives cpu's results for every axis pattern, keepDims and whole-tensor sums", async () => {
  const v = randn(2 * 5 * 6 * 7, 22);
  for (const [axis, keepDims] of [
    [[0, 1, 2], false],
    [[0, 1, 2], true],
    [[1, 0], false],
    [0, false],
    [[1, 2], false],
    [3, true],
    [[0, 1, 2, 3], false],
    [[0, 2], false],
  ] as Array<[number | number[], boolean]>) {
    const r = await onCpuAndWasm(() => tf.sum(tf.tensor4d(v, [2, 5, 6, 7]), axis, keepDims));
    assert.equal(r.wasmShapes[0], r.shapes[0], `shape for axis ${axis}`);
    const err = relL2(r.wasm[0]!, r.cpu[0]!);
    assert.ok(err <= 1e-5, `axis ${axis}, keepDims ${keepDims}: relative L2 error ${err}`);
  }
});

sum.run();
