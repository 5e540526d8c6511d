import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/core/rng.js';

const rng = suite('Rng');

rng('matches the xoshiro128** reference output for state [1, 2, 3, 4]', () => {
  // From Blackman & Vigna's xoshiro128starstar.c, compiled and run with s = {1, 2, 3, 4}.
  const r = new Rng([1, 2, 3, 4]);
  assert.equal(
    Array.from({ length: 6 }, () => r.uint32()),
    [11520, 0, 5927040, 70819200, 2031721883, 1637235492],
  );
});

rng('is deterministic per seed and differs between seeds', () => {
  const draw = (seed: number): number[] => {
    const r = new Rng(seed);
    return Array.from({ length: 8 }, () => r.uint32());
  };
  assert.equal(draw(42), draw(42));
  assert.not.equal(draw(42), draw(43));
  assert.equal(draw(-1), draw(2 ** 32 - 1)); // only the low 32 bits of a seed matter, as documented
});

rng('resumes exactly from a saved state, through JSON', () => {
  const r = new Rng(7);
  for (let i = 0; i < 100; i++) r.uint32();
  const saved = JSON.parse(JSON.stringify(r.getState()));
  const expected = [r.float(), r.int(10), r.uint32(), ...r.shuffle([1, 2, 3, 4, 5])];
  const resumed = new Rng(0);
  resumed.setState(saved);
  assert.equal(
    [resumed.float(), resumed.int(10), resumed.uint32(), ...resumed.shuffle([1, 2, 3, 4, 5])],
    expected,
  );
  const fromCtor = new Rng(saved);
  assert.is(fromCtor.float(), expected[0]);
});

rng('clone continues the same stream without advancing the original', () => {
  const r = new Rng(3);
  const c = r.clone();
  assert.is(c.uint32(), r.uint32());
  assert.is(c.uint32(), r.uint32());
});

rng('float is in [0, 1) and int(n) covers [0, n) evenly', () => {
  const r = new Rng(11);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    counts[r.int(6)]++;
  }
  // Each bucket expects 10000 with sd ~91; 600 is over 6 sd.
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 600, `bucket count ${c}`);
  assert.is(r.int(1), 0);
});

rng('shuffle returns a permutation', () => {
  const out = new Rng(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
  assert.equal(
    [...out].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.not.equal(
    out,
    Array.from({ length: 50 }, (_, i) => i),
  );
});

rng('rejects invalid seeds and states with clear errors', () => {
  assert.throws(
    () => new Rng(1.5),
    (e: Error) => e instanceof RangeError && /seed must be an integer/.test(e.message),
  );
  assert.throws(
    () => new Rng([0, 0, 0, 0]),
    (e: Error) => e instanceof RangeError && /all four words are zero/.test(e.message),
  );
  assert.throws(
    () => new Rng(0).setState([1, 2, 3]),
    (e: Error) => e instanceof TypeError && /four uint32/.test(e.message),
  );
  assert.throws(
    () => new Rng(0).setState([1, 2, 3, 2 ** 32]),
    (e: Error) => e instanceof TypeError,
  );
  assert.throws(
    () => new Rng(0).int(0),
    (e: Error) => e instanceof RangeError && /Rng\.int/.test(e.message),
  );
});

rng.run();
