import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnxCommand } from '../../src/cli/export-onnx.js';
import { fixture } from '../support/env.js';
import { runCommand } from '../support/cli.js';

const test = suite('export-onnx command');
const dir = mkdtempSync(join(tmpdir(), 'p2p-onnx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writes a file onnxruntime-node loads, with a fixed shape when asked', async () => {
  const out = join(dir, 'G.onnx');
  const r = await runCommand(exportOnnxCommand, [fixture('golden', 'unet64_instance', 'G.pth'), out, '--shape', '1,64,64']);
  assert.is(r.code, 0, r.err.join('\n'));
  assert.match(r.out.join('\n'), /numDowns 6, ngf 8, instance norm/);
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(readFileSync(out));
  const y = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]) });
  assert.equal(y.output.dims, [1, 3, 64, 64]);
  await s.release();
});

test('exits 2 with a message on a discriminator file, a bad shape or a missing file', async () => {
  const d = await runCommand(exportOnnxCommand, [fixture('golden', 'unet64_batch', 'D.pth'), join(dir, 'D.onnx')]);
  assert.is(d.code, 2);
  assert.match(d.err[0], /^error \[E_\w+\]: Not a pix2pix U-Net generator/);
  const shape = await runCommand(exportOnnxCommand, [fixture('golden', 'unet64_batch', 'G.pth'), join(dir, 'x.onnx'), '--shape', '1,64']);
  assert.is(shape.code, 2);
  assert.match(shape.err[0], /^error \[E_USAGE\]: --shape must be three positive integers/);
  const missing = await runCommand(exportOnnxCommand, [join(dir, 'nope.pth'), join(dir, 'x.onnx')]);
  assert.is(missing.code, 2);
  assert.match(missing.err[0], /^error \[ENOENT\]: .*no such file/);
});
test.run();
