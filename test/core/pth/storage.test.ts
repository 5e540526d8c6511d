import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  floatToHalf,
  halfToFloat,
  floatToBfloat16,
  stridedCopy,
  contiguousStrides,
} from '../../../src/core/pth/storage.js';
import { CheckpointError } from '../../../src/core/errors.js';

const storage = suite('storage conversions');

storage('rounds floats to half to nearest even, with subnormals and overflow', () => {
  // Bit patterns from numpy: np.float16(x).view(np.uint16).
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2.5, 0xc100],
    [65504, 0x7bff],
    [65520, 0x7c00], // halfway to the next binade rounds up to infinity
    [70000, 0x7c00],
    [0.1, 0x2e66],
    [1e-7, 0x0002],
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even (0)
    [3 * 2 ** -25, 0x0002],
    [2 ** -14, 0x0400],
    [1 + 2 ** -11, 0x3c00], // tie, even mantissa stays
    [1 + 3 * 2 ** -11, 0x3c02], // tie, odd mantissa rounds up
    [-0, 0x8000],
    [Infinity, 0x7c00],
  ];
  for (const [x, bits] of cases) assert.is(floatToHalf(x), bits, `half(${x})`);
  assert.is(floatToHalf(NaN) & 0x7e00, 0x7e00);
});

storage('decodes every half bit pattern back to the value it encodes', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = halfToFloat(h);
    if (Number.isNaN(v)) assert.ok((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0);
    else assert.is(floatToHalf(v), h, `round trip of 0x${h.toString(16)}`);
  }
});

storage('rounds floats to bfloat16 to nearest even', () => {
  // Expected: the top 16 bits of the float32 pattern, rounded on the low 16 (0.1 = 0x3dcccccd -> 0x3dcd).
  assert.is(floatToBfloat16(1), 0x3f80);
  assert.is(floatToBfloat16(0.1), 0x3dcd);
  assert.is(floatToBfloat16(3.14159), 0x4049);
  assert.is(floatToBfloat16(1 + 2 ** -8), 0x3f80); // tie to even
  assert.is(floatToBfloat16(1 + 3 * 2 ** -8), 0x3f82);
  assert.is(floatToBfloat16(NaN), 0x7fc0);
});

storage('copies strided and offset views in C order', () => {
  const s = new Float32Array([1, 2, 3, 4, 5, 6]);
  assert.equal(Array.from(stridedCopy(s, 0, [3, 2], [1, 3]) as Float32Array), [1, 4, 2, 5, 3, 6]);
  assert.equal(Array.from(stridedCopy(s, 1, [2, 2], [3, 1]) as Float32Array), [2, 3, 5, 6]);
  assert.equal(Array.from(stridedCopy(s, 2, [2], [0]) as Float32Array), [3, 3]);
  assert.equal(Array.from(stridedCopy(s, 5, [], []) as Float32Array), [6]);
  assert.is(stridedCopy(s, 0, [0, 3], [3, 1]).length, 0);
});

storage('refuses a view that reaches past its storage', () => {
  assert.throws(
    () => stridedCopy(new Float32Array(6), 1, [2, 3], [3, 1]),
    (e: unknown) => e instanceof CheckpointError && e.code === 'E_BAD_STORAGE',
  );
});

storage('computes C-order strides like torch.contiguous()', () => {
  assert.equal(contiguousStrides([8, 3, 4, 4]), [48, 16, 4, 1]);
  assert.equal(contiguousStrides([]), []);
  assert.equal(contiguousStrides([2, 0, 3]), [3, 3, 1]);
});

storage.run();
