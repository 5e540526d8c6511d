import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCommand, CONVERT_HELP } from '../../src/cli/convert.js';
import { readPth } from '../../src/core/pth/index.js';
import { loadCheckpoint } from '../../src/pix2pix/checkpoint.js';
import { fixture } from '../support/env.js';

const dir = mkdtempSync(join(tmpdir(), 'p2p-convert-'));
const G = fixture('golden', 'unet64_batch', 'G.pth');

const cli = suite('pix2pix-ts convert');
cli.after(() => rmSync(dir, { recursive: true, force: true }));

cli('prints its help with --help and exits 0', async () => {
  const out: string[] = [];
  assert.is(await convertCommand(['--help'], (s) => out.push(s)), 0);
  assert.is(out.join('\n'), CONVERT_HELP);
  assert.match(CONVERT_HELP, /--to pth\|ours\|web-f32\|web-f16\|web-u8/);
});

cli('converts a .pth to our checkpoint, to web uint8 model.json, and back to a .pth with the same tensors', async () => {
  const log: string[] = [];
  const ours = join(dir, 'g.p2p');
  assert.is(await convertCommand([G, ours], (s) => log.push(s)), 0);
  assert.match(log[0], /read pth: U-Net numDowns 6, ngf 8, norm batch/);
  const { model, meta } = await loadCheckpoint(ours);
  assert.is(meta.kind, 'checkpoint');
  model.dispose();
  assert.is(await convertCommand([G, join(dir, 'web', 'model.json'), '--to', 'web-u8'], () => undefined), 0);
  assert.ok(existsSync(join(dir, 'web', 'model.json')));
  const back = join(dir, 'back.pth');
  assert.is(await convertCommand([ours, back], () => undefined), 0);
  const a = readPth(new Uint8Array(readFileSync(G)));
  const b = readPth(new Uint8Array(readFileSync(back)));
  assert.equal([...b.keys()], [...a.keys()]);
  for (const [k, t] of a) assert.equal(Array.from(b.get(k)!.data as ArrayLike<number | bigint>), Array.from(t.data as ArrayLike<number | bigint>), k);
});

cli('exits 2 with a clear message on a bad --to, a missing file, or D from a generator-only file', async () => {
  const log: string[] = [];
  assert.is(await convertCommand([G, join(dir, 'x'), '--to', 'onnx'], (s) => log.push(s)), 2);
  assert.match(log.pop()!, /unsupported --to "onnx". Should be one of: pth, ours/);
  assert.is(await convertCommand([join(dir, 'missing.pth'), join(dir, 'x.pth')], (s) => log.push(s)), 2);
  assert.match(log.pop()!, /E_IO_NOT_FOUND.*missing\.pth/);
  assert.is(await convertCommand([G, join(dir, 'd.pth'), '--net', 'D'], (s) => log.push(s)), 2);
  assert.match(log.pop()!, /holds no discriminator/);
});

cli.run();
