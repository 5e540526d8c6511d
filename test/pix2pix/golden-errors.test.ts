import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, cpSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backends/index.js';
import { verifyGolden } from '../../src/pix2pix/golden.js';
import { dirSource } from '../../src/cli/fs-source.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { runCommand } from '../support/cli.js';
import { GoldenError } from '../../src/core/errors.js';
import { fixture } from '../support/env.js';

const t = suite('golden folder errors');
let dir = '';
t.before(async () => {
  await initBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'golden-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t('a folder with missing files names every missing file before computing anything', async () => {
  const d = join(dir, 'missing');
  cpSync(fixture('golden', 'unet64_instance'), d, { recursive: true });
  rmSync(join(d, 'D.pth'));
  rmSync(join(d, 'forward__G_eval.f32'));
  try {
    await verifyGolden(dirSource(d));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, GoldenError);
    assert.match((e as Error).message, /missing 2 file\(s\): forward__G_eval\.f32, D\.pth/);
  }
});

t(
  'verify exits 2 on an unreadable folder and 1 on a mismatch, printing one line per check',
  async () => {
    const nope = await runCommand(verifyCommand, [join(dir, 'nope')]);
    assert.is(nope.code, 2);
    assert.match(nope.err.join('\n'), /^error \[E_GOLDEN\]/);
    const d = join(dir, 'tampered');
    cpSync(fixture('golden', 'unet64_instance'), d, { recursive: true });
    const f = join(d, 'forward__G_eval.f32');
    const data = new Float32Array(readFileSync(f).buffer.slice(0));
    data[0] += 0.5;
    writeFileSync(f, new Uint8Array(data.buffer));
    const { code, out } = await runCommand(verifyCommand, [d]);
    assert.is(code, 1);
    assert.match(out.join('\n'), /FAIL forward G eval /);
    assert.match(out.join('\n'), /ok {3}forward D eval \(real\)/);
    assert.ok(out.length > 60);
  },
);

t('a manifest that is not JSON is a GoldenError', async () => {
  const d = join(dir, 'badjson');
  cpSync(fixture('golden', 'unet64_instance'), d, { recursive: true });
  writeFileSync(join(d, 'manifest.json'), '{nope');
  try {
    await verifyGolden(dirSource(d));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, GoldenError);
    assert.match((e as Error).message, /not valid JSON/);
  }
});

t.run();
