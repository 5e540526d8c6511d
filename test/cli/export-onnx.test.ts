import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnxCommand } from '../../src/cli/export-onnx.js';
import { convertCommand } from '../../src/cli/convert.js';
import { readPth, writePth } from '../../src/core/pth/index.js';
import { fixture, ROOT } from '../support/env.js';
import { runCommand } from '../support/cli.js';

const test = suite('export-onnx command');
const dir = mkdtempSync(join(tmpdir(), 'p2p-onnx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writes a file onnxruntime-node loads, with a fixed shape when asked', async () => {
  const out = join(dir, 'G.onnx');
  const r = await runCommand(exportOnnxCommand, [
    fixture('golden', 'unet64_instance', 'G.pth'),
    out,
    '--shape',
    '1,64,64',
  ]);
  assert.is(r.code, 0, r.err.join('\n'));
  assert.match(r.out.join('\n'), /numDowns 6, ngf 8, instance norm/);
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(readFileSync(out));
  const y = await s.run({
    input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]),
  });
  assert.equal(y.output.dims, [1, 3, 64, 64]);
  await s.release();
});

test('exports web weights (model.json) as it does a .pth', async () => {
  const out = join(dir, 'fonts.onnx');
  const r = await runCommand(exportOnnxCommand, [
    join(ROOT, 'examples/models/fonts128-u8/model.json'),
    out,
    '--shape',
    '1,128,128',
  ]);
  assert.is(r.code, 0, r.err.join('\n'));
  assert.match(r.out.join('\n'), /numDowns 7, ngf 16, batch norm, 1 -> 1 channels/);
});

test('exits 2 with a message on a discriminator file, a bad shape or a missing file', async () => {
  const d = await runCommand(exportOnnxCommand, [
    fixture('golden', 'unet64_batch', 'D.pth'),
    join(dir, 'D.onnx'),
  ]);
  assert.is(d.code, 2);
  assert.match(d.err[0], /^error \[E_\w+\]: .*not a pix2pix U-Net generator/i);
  const shape = await runCommand(exportOnnxCommand, [
    fixture('golden', 'unet64_batch', 'G.pth'),
    join(dir, 'x.onnx'),
    '--shape',
    '1,64',
  ]);
  assert.is(shape.code, 2);
  assert.match(shape.err[0], /^error \[E_USAGE\]: --shape must be three positive integers/);
  const missing = await runCommand(exportOnnxCommand, [join(dir, 'nope.pth'), join(dir, 'x.onnx')]);
  assert.is(missing.code, 2);
  assert.match(missing.err[0], /^error \[E_\w+\]: No file at ".*nope\.pth"/);
});
test('reads a DataParallel state dict ("module." keys) and a pix2pix-ts checkpoint (.ckpt)', async () => {
  const sd = readPth(new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G.pth'))));
  const dp = join(dir, 'G_dp.pth');
  writeFileSync(dp, writePth(new Map([...sd].map(([k, v]) => [`module.${k}`, v]))));
  const a = await runCommand(exportOnnxCommand, [dp, join(dir, 'dp.onnx')]);
  assert.is(a.code, 0, a.err.join('\n'));
  assert.match(a.out.join('\n'), /numDowns 6, ngf 8, batch norm/);
  const ckpt = join(dir, 'G.ckpt');
  assert.is(
    (await runCommand(convertCommand, [fixture('golden', 'unet64_batch', 'G.pth'), ckpt])).code,
    0,
  );
  const b = await runCommand(exportOnnxCommand, [ckpt, join(dir, 'ckpt.onnx')]);
  assert.is(b.code, 0, b.err.join('\n'));
  // Same weights, same graph: the files are byte-identical.
  assert.ok(
    Buffer.compare(readFileSync(join(dir, 'dp.onnx')), readFileSync(join(dir, 'ckpt.onnx'))) === 0,
  );
});

test('refuses a --shape whose height or width is not a multiple of 2^numDowns (E_SHAPE)', async () => {
  const out = join(dir, 'bad.onnx');
  const r = await runCommand(exportOnnxCommand, [
    fixture('golden', 'unet64_batch', 'G.pth'),
    out,
    '--shape',
    '1,250,256',
  ]);
  assert.is(r.code, 2);
  assert.match(r.err[0], /^error \[E_SHAPE\]: .*multiples of 2\^numDowns = 64.*1,256,256/);
  assert.not.ok(existsSync(out));
});
test.run();
