import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';

/**
 * Child mode: this same bundle, started with PIX2PIX_WASM_CHILD, initialises wasm (options from the
 * variable as JSON), runs a conv2d, prints one JSON line and returns without exiting: the process
 * must end by itself (the pthread workers must not keep it alive).
 */
const childOptions = process.env.PIX2PIX_WASM_CHILD;
if (childOptions !== undefined) {
  const info = await initBackend('wasm', JSON.parse(childOptions));
  const x = tf.ones([1, 32, 32, 8]);
  const w = tf.ones([3, 3, 8, 8]);
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
  const sum = (await tf.sum(y).data())[0];
  console.log(JSON.stringify({ threads: info.threads, reason: info.reason, sum }));
} else {
  const test = suite('wasm threads in Node');
  const cores = availableParallelism();

  function child(
    options: object,
    env: Record<string, string> = {},
  ): { threads: number; reason: string; sum: number } {
    const r = spawnSync(process.execPath, [process.argv[1]!], {
      env: { ...process.env, ...env, PIX2PIX_WASM_CHILD: JSON.stringify(options) },
      encoding: 'utf8',
      timeout: 60_000, // a process kept alive by its workers is killed and reported
    });
    assert.is(r.signal, null, `the child did not exit by itself: ${r.stderr}`);
    assert.is(r.status, 0, r.stderr);
    const line = r.stdout.trim().split('\n').at(-1)!;
    return JSON.parse(line);
  }

  test('the threaded binary runs with one XNNPACK thread per core and the process exits by itself', () => {
    const r = child({});
    // 3x3 window over 8 channels of ones: interior 72, edges fewer; the same on any thread count.
    const expected = child({ threads: 1 }).sum;
    assert.is(r.sum, expected);
    if (cores < 2) {
      assert.is(r.threads, 1);
      return;
    }
    assert.is(r.threads, Math.min(8, cores));
    assert.match(
      r.reason,
      new RegExp(
        `WASM SIMD with threads in Node \\(${r.threads} XNNPACK threads on worker_threads`,
      ),
    );
  });

  test('option threads: 1 keeps the single-threaded binary', () => {
    const r = child({ threads: 1 });
    assert.is(r.threads, 1);
    assert.match(r.reason, /WASM SIMD on one thread \(option threads\)/);
  });

  test('a threaded binary that cannot start falls back to one thread with the cause in the reason', () => {
    // The pthread scripts are written to the temporary folder: one that does not exist breaks it.
    const r = child({ threads: 2 }, { TMPDIR: '/nonexistent/pix2pix-tmp' });
    assert.is(r.threads, 1);
    assert.match(
      r.reason,
      /WASM SIMD on one thread \(the threaded binary failed to start in Node: .*nonexistent/,
    );
    assert.ok(r.sum > 0);
  });

  test("without the package's threaded glue file (a bundle outside node_modules) wasm runs on one thread and says why", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pix2pix-wasm-test-'));
    try {
      const here = dirname(process.argv[1]!);
      for (const f of readdirSync(here).filter((f) => f.endsWith('.wasm')))
        copyFileSync(join(here, f), join(dir, f));
      const copy = join(dir, 'child.mjs');
      copyFileSync(process.argv[1]!, copy);
      const r = spawnSync(process.execPath, [copy], {
        cwd: dir,
        env: { ...process.env, PIX2PIX_WASM_CHILD: '{"threads":2}' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.is(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.is(out.threads, 1);
      assert.match(
        out.reason,
        /the threaded binary failed to start in Node: tfjs-backend-wasm-threaded-simd\.js \(shipped in pix2pix-ts's dist\/.*\) was not found there/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('wasm threads agree with the cpu backend on conv2d in this process', async () => {
    await initBackend('cpu');
    const x = tf.randomUniform([1, 16, 16, 6], -1, 1, 'float32', 1);
    const w = tf.randomUniform([4, 4, 6, 8], -1, 1, 'float32', 2);
    const ref = await tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').data();
    const xs = await x.data(),
      ws = await w.data();
    tf.dispose([x, w]);
    const info = await initBackend('wasm');
    assert.is(info.threads, Math.min(8, cores));
    const before = tf.memory().numTensors;
    const y = tf.conv2d(tf.tensor4d(xs, [1, 16, 16, 6]), tf.tensor4d(ws, [4, 4, 6, 8]), 2, 'same');
    const got = await y.data();
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    console.log(
      `# wasm (${info.threads} threads) vs cpu conv2d: max abs diff ${diff.toExponential(2)}`,
    );
    assert.ok(diff < 1e-4);
    tf.dispose(y);
    tf.disposeVariables();
    assert.ok(tf.memory().numTensors <= before + 2); // the two inputs above are tf.tidy-less on purpose: disposed next
  });

  test.run();
}
