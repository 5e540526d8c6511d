import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatorFlops, discriminatorFlops, caseFlops } from '../../src/bench/flops.js';

const test = suite('FLOP counter');

// numDowns 5, ngf 2, 3 -> 3 channels, 32x32, written out layer by layer (MACs = pixels x Cin x Cout x 16).
const G_MACS = [
  16 * 16 * 3 * 2 * 16,
  16 * 16 * 4 * 3 * 16, // level 0: down 3->2 @16, up (2+2)->3 from 16x16
  8 * 8 * 2 * 4 * 16,
  8 * 8 * 8 * 2 * 16, //     level 1: down 2->4 @8, up 8->2
  4 * 4 * 4 * 8 * 16,
  4 * 4 * 16 * 4 * 16, //    level 2: down 4->8 @4, up 16->4
  2 * 2 * 8 * 16 * 16,
  2 * 2 * 32 * 8 * 16, //   level 3: down 8->16 @2, up 32->8
  1 * 1 * 16 * 16 * 16,
  1 * 1 * 16 * 16 * 16, // level 4 (innermost, 16 = ngf*8): down 16->16 @1, up 16->16
];
// PatchGAN ndf 2, 3 layers, 6 input channels, 32x32: 16x16, 8x8, 4x4 (stride 2), 3x3, 2x2 (stride 1).
const D_MACS = [
  16 * 16 * 6 * 2 * 16,
  8 * 8 * 2 * 4 * 16,
  4 * 4 * 4 * 8 * 16,
  3 * 3 * 8 * 16 * 16,
  2 * 2 * 16 * 1 * 16,
];
const opts = { generator: { numDowns: 5, ngf: 2 }, discriminator: { ndf: 2 } };
const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

test('counts a tiny generator forward as twice its hand-counted MACs', () => {
  assert.equal(generatorFlops(opts, 32, 32), { forward: 2 * sum(G_MACS), first: 2 * G_MACS[0] });
  assert.is(caseFlops('infer', opts, 32, 32, 3), 3 * 2 * sum(G_MACS));
});

test('counts a tiny PatchGAN forward', () => {
  assert.equal(discriminatorFlops(opts, 32, 32), {
    forward: 2 * sum(D_MACS),
    first: 2 * D_MACS[0],
  });
});

test('counts a training step as 3 G + 9 D forwards less the undifferentiated first-layer input grads', () => {
  const fg = 2 * sum(G_MACS);
  const fd = 2 * sum(D_MACS);
  assert.is(caseFlops('train', opts, 32, 32), 3 * fg - 2 * G_MACS[0] + 9 * fd - 2 * 2 * D_MACS[0]);
  assert.is(caseFlops('train', opts, 32, 32), 2217984);
});

test('gives the UNet-256 ngf 64 generator its 12.1 GFLOP per 256x256 image', () => {
  const f = generatorFlops({ generator: { numDowns: 8, ngf: 64 } }, 256, 256).forward;
  assert.ok(Math.abs(f / 1e9 - 12.096) < 0.001, String(f));
  // A 512x512 image through the same network costs four times as much.
  assert.is(generatorFlops({ generator: { numDowns: 8, ngf: 64 } }, 512, 512).forward, 4 * f);
});
test.run();
