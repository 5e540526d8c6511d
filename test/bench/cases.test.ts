import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { selectCases, numDownsFor, type BenchEnvironment } from '../../src/bench/cases.js';
import { NODE_WASM_THREADS_REASON } from '../../src/backends/index.js';

const nodeEnv: BenchEnvironment = {
  available: { cpu: [1], wasm: [1], 'ort-web': [1, 2], 'ort-node': [1, 2] },
  unavailable: { webgl: 'no WebGL2 context', webgpu: 'navigator.gpu is missing' },
  threadReasons: { wasm: NODE_WASM_THREADS_REASON },
};

const test = suite('benchmark case selection');

test('expands the default grid over the default backends, sizes, ngf, tasks and threads', () => {
  const { cases, skipped } = selectCases({}, nodeEnv);
  // wasm: 3 sizes x 3 ngf x 2 tasks x 1 thread; each ort peer: 3 x 3 x infer x 2 threads.
  assert.is(cases.filter((c) => c.backend === 'wasm').length, 18);
  assert.is(cases.filter((c) => c.backend === 'ort-node').length, 18);
  assert.is(cases.filter((c) => c.backend === 'cpu').length, 0, 'cpu only runs when named');
  assert.ok(skipped.some((s) => s.backend === 'webgl' && s.reason === 'no WebGL2 context'));
  assert.ok(
    skipped.some(
      (s) => s.backend === 'wasm' && s.threads === 2 && s.reason === NODE_WASM_THREADS_REASON,
    ),
  );
  assert.ok(
    skipped.some(
      (s) => s.backend === 'ort-web' && s.task === 'train' && /inference only/.test(s.reason),
    ),
  );
});

test('narrows by every filter', () => {
  const { cases } = selectCases(
    {
      backend: ['wasm', 'ort-node'],
      task: ['infer'],
      size: [256],
      ngf: [64],
      threads: [1, 2],
      batch: [2],
    },
    nodeEnv,
  );
  assert.equal(cases, [
    { backend: 'wasm', task: 'infer', size: 256, ngf: 64, batch: 2, threads: 1, numDowns: 8 },
    { backend: 'ort-node', task: 'infer', size: 256, ngf: 64, batch: 2, threads: 1, numDowns: 8 },
    { backend: 'ort-node', task: 'infer', size: 256, ngf: 64, batch: 2, threads: 2, numDowns: 8 },
  ]);
});

test('runs 512 as inference of the UNet-256 and skips training there', () => {
  const { cases, skipped } = selectCases({ backend: ['wasm'], size: [512], ngf: [16] }, nodeEnv);
  assert.equal(
    cases.map((c) => [c.task, c.numDowns]),
    [['infer', 8]],
  );
  assert.ok(skipped.some((s) => s.task === 'train' && s.size === 512));
  assert.equal([64, 128, 256, 512].map(numDownsFor), [6, 7, 8, 8]);
});

test('orders cases so that one model serves consecutive cases', () => {
  const { cases } = selectCases({ backend: ['wasm'], size: [64, 128], ngf: [16] }, nodeEnv);
  assert.equal(
    cases.map((c) => `${c.size}/${c.task}`),
    ['64/infer', '64/train', '128/infer', '128/train'],
  );
});

test('rejects unknown filter values naming the filter and the valid ones', () => {
  for (const [f, re] of [
    [{ size: [100] }, /--size.*64, 128, 256, 512/],
    [{ backend: ['tpu'] }, /--backend.*ort-node/],
    [{ task: ['fit'] }, /--task.*infer, train/],
    [{ ngf: [0] }, /--ngf/],
  ] as const) {
    try {
      selectCases(f as never, nodeEnv);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, RangeError);
      assert.match((e as Error).message, re);
    }
  }
});
test.run();
