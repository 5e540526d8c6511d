import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { summarize, timeCall, timeCalls } from '../../src/bench/timing.js';

const t = suite('bench timing helper');

t('warms up untimed, then times the requested repetitions in order', async () => {
  const calls: string[] = [];
  let n = 0;
  const r = await timeCalls(() => void calls.push(`call ${n++}`), {
    warmup: 2,
    reps: 3,
    firstWarmup: () => void calls.push('first'),
  });
  assert.equal(calls, ['first', 'call 0', 'call 1', 'call 2', 'call 3']);
  assert.is(r.ms.length, 3);
  assert.ok(r.ms.every((ms) => ms >= 0));
  assert.is(r.cpuMs?.length, 3, 'Node reports CPU time per call');
});

t('stops adding repetitions once the time budget is spent, after at least one', async () => {
  let calls = 0;
  const slow = () => new Promise<void>((res) => setTimeout(() => (calls++, res()), 30));
  const r = await timeCalls(slow, { warmup: 0, reps: 1000, maxSeconds: 0.001 });
  assert.is(r.ms.length, 1);
  assert.is(calls, 1);
  const atLeast = await timeCalls(slow, { warmup: 0, reps: 1000, minSeconds: 0.1 });
  assert.ok(atLeast.ms.length >= 2 && atLeast.ms.length < 1000, `${atLeast.ms.length} calls`);
});

t('times an awaited call, not just its start', async () => {
  const { ms } = await timeCall(() => new Promise((res) => setTimeout(res, 25)));
  assert.ok(ms >= 20, `${ms} ms`);
});

t('summarizes with interpolated quartiles and the mean', () => {
  assert.equal(summarize([3, 1, 2]), {
    msMedian: 2,
    msMin: 1,
    msMax: 3,
    msQ1: 1.5,
    msQ3: 2.5,
    msMean: 2,
  });
  assert.equal(summarize([4, 1, 2, 3]).msMedian, 2.5);
});

t.run();
