import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnxCommand } from '../../src/cli/export-onnx.js';
import { fixture, ROOT } from '../support/env.js';

const test = suite('export-onnx command');
const dir = mkdtempSync(join(tmpdir(), 'p2p-onnx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writes a file onnxruntime-node loads, with a fixed shape when asked', async () => {
  const out = join(dir, 'G.onnx');
  const lines: string[] = [];
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_instance', 'G.pth'), out, '--shape', '1,64,64'], (l) => lines.push(l)), 0);
  assert.match(lines.join('\n'), /numDowns 6, ngf 8, instance norm/);
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(readFileSync(out));
  const y = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]) });
  assert.equal(y.output.dims, [1, 3, 64, 64]);
  await s.release();
});

test('exports web weights (model.json) as it does a .pth', async () => {
  const out = join(dir, 'fonts.onnx');
  const lines: string[] = [];
  assert.is(await exportOnnxCommand([join(ROOT, 'examples/models/fonts128-u8/model.json'), out, '--shape', '1,128,128'], (l) => lines.push(l)), 0);
  assert.match(lines.join('\n'), /numDowns 7, ngf 16, batch norm, 1 -> 1 channels/);
});

test('exits 2 with a message on a discriminator file, a bad shape or a missing file', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_batch', 'D.pth'), join(dir, 'D.onnx')], log), 2);
  assert.match(lines.pop()!, /Not a pix2pix U-Net generator/);
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_batch', 'G.pth'), join(dir, 'x.onnx'), '--shape', '1,64'], log), 2);
  assert.match(lines.pop()!, /--shape must be three positive integers/);
  assert.is(await exportOnnxCommand([join(dir, 'nope.pth'), join(dir, 'x.onnx')], log), 2);
  assert.match(lines.pop()!, /No file at ".*nope\.pth"/);
});
test.run();
