import { suite } from 'uvu';
import { runCommand } from '../support/cli.js';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { runBench, summarize, formatJsonLine, formatTable } from '../../src/bench/harness.js';
import { caseFlops } from '../../src/bench/flops.js';
import { benchCommand } from '../../src/cli/bench.js';

const test = suite('benchmark harness');

test('summarizes timings as median, extremes and quartiles', () => {
  assert.equal(summarize([3, 1, 2]), { msMedian: 2, msMin: 1, msMax: 3, msQ1: 1.5, msQ3: 2.5 });
  assert.equal(summarize([4, 1, 3, 2]).msMedian, 2.5);
});

test('runs tiny infer and train cases on cpu and ort-node, leaving no tensor behind', async () => {
  const env = { available: { cpu: [1], 'ort-node': [1] }, unavailable: {} };
  const seen: string[] = [];
  const { results, skipped } = await runBench(
    { backend: ['cpu', 'ort-node'], size: [64], ngf: [4], threads: [1] },
    { reps: 2, warmup: 1, environment: env, onResult: (r) => seen.push(`${r.backend}/${r.task}`) },
  );
  assert.equal(seen, ['cpu/infer', 'cpu/train', 'ort-node/infer']);
  assert.ok(skipped.some((s) => s.backend === 'ort-node' && s.task === 'train'));
  for (const r of results) {
    const j = JSON.parse(formatJsonLine(r));
    for (const k of [
      'backend',
      'task',
      'size',
      'ngf',
      'batch',
      'threads',
      'msMedian',
      'msMin',
      'msMax',
      'flops',
      'gflops',
      'peakRssMB',
    ])
      assert.ok(k in j, `${k} missing from ${formatJsonLine(r)}`);
    assert.is(j.reps, 2);
    assert.ok(j.msMin <= j.msMedian && j.msMedian <= j.msMax, formatJsonLine(r));
    assert.is(
      j.flops,
      caseFlops(
        r.task,
        { generator: { numDowns: 6, ngf: 4 }, discriminator: { ndf: 4 } },
        64,
        64,
        1,
      ),
    );
    assert.ok(Math.abs(r.gflops - r.flops / (r.msMedian * 1e6)) <= 1e-9 * r.gflops);
    assert.ok(Math.abs(j.gflops - r.gflops) <= 5e-4);
  }
  assert.ok(results[0].peakTensorMB! > 0, 'tfjs cases report peak tensor memory');
  assert.is(tf.memory().numTensors, 0, 'tensors leaked');
  const table = formatTable(results);
  assert.match(table, /cpu\s+train\s+64\s+4/);
});

test('interleaves cases round-robin: every case gets its reps, one tfjs backend per process, no tensor left', async () => {
  const env = { available: { cpu: [1], wasm: [1], 'ort-node': [1, 2] }, unavailable: {} };
  const rounds: string[] = [];
  const { results, skipped } = await runBench(
    {
      backend: ['cpu', 'wasm', 'ort-node'],
      task: ['infer'],
      size: [64],
      ngf: [4],
      threads: [1, 2],
    },
    {
      reps: 3,
      warmup: 1,
      environment: env,
      interleave: true,
      log: (l) => {
        if (l.startsWith('round')) rounds.push(l);
      },
    },
  );
  assert.equal(
    results.map((r) => `${r.backend}/t${r.threads}`),
    ['cpu/t1', 'ort-node/t1', 'ort-node/t2'],
  );
  for (const r of results) assert.is(r.reps, 3);
  assert.is(rounds.length, 3, 'one log line per round');
  assert.ok(
    skipped.some((s) => s.backend === 'wasm' && /one tfjs backend/.test(s.reason)),
    JSON.stringify(skipped),
  );
  assert.is(tf.memory().numTensors, 0, 'tensors leaked');
  // Two runs, each with a wasm base: run 0 has nothing to compare with, run 1 has the ort-node cases.
  const asWasm = { ...results[0], backend: 'wasm' as const };
  const grouped = formatTable([
    { ...asWasm, group: 0 },
    { ...asWasm, group: 1 },
    ...results.slice(1).map((r) => ({ ...r, group: 1 })),
  ]);
  assert.match(grouped, /\[run 1\] infer 64 ngf 4 batch 1: wasm .*ort-node t1.*ort-node t2/);
  assert.not.match(grouped, /\[run 0\]/, 'ratios only within a run');
});

test('prints one JSON line per case and sends skips to stderr from the CLI', async () => {
  const { code, out, err } = await runCommand(benchCommand, [
    '--backend',
    'cpu',
    '--task',
    'infer',
    '--size',
    '64',
    '--ngf',
    '4',
    '--threads',
    '1,2',
    '--reps',
    '1',
    '--warmup',
    '0',
    '--json',
    '--no-respawn',
  ]);
  assert.is(code, 0);
  assert.is(out.length, 1);
  const j = JSON.parse(out[0]);
  assert.equal(
    [j.backend, j.task, j.size, j.ngf, j.batch, j.threads],
    ['cpu', 'infer', 64, 4, 1, 1],
  );
  assert.ok(
    err.some((l) => /skip cpu threads=2/.test(l)),
    err.join('\n'),
  );
  const bad = await runCommand(benchCommand, ['--size', '100']);
  assert.is(bad.code, 2);
  assert.match(bad.err[0], /^error \[E_USAGE\]/);
});
test.run();
