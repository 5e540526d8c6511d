import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCommand } from '../../src/cli/train.js';
import { readPth } from '../../src/core/pth/index.js';
import { ROOT } from '../support/env.js';

const t = suite('pix2pix-ts train');
let dir = '';
const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  return fn().finally(() => (console.log = log));
};
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'p2p-train-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

const base = ['--dataroot', join(ROOT, 'data/fonts-zi2zi'), '--input-nc', '1', '--output-nc', '1', '--num-downs', '6', '--ngf', '4', '--ndf', '4',
  '--load-size', '68', '--crop-size', '64', '--no-flip', '--batch', '2', '--epochs', '1', '--epochs-decay', '1', '--sample-every', '2', '--checkpoint-every', '1', '--backend', 'wasm'];

t('writes checkpoints, sample grids, the loss curve and an HTML report', async () => {
  const out = join(dir, 'run');
  assert.is(await quiet(() => trainCommand([...base, '--max-steps', '4', '--out', out])), 0);
  for (const f of ['latest.ckpt', 'latest_net_G.pth', 'latest_net_D.pth', 'loss.svg', 'loss.png', 'index.html', 'test_grid.png', 'samples_step000002.png', 'samples_step000004.png']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const g = readPth(new Uint8Array(readFileSync(join(out, 'latest_net_G.pth'))));
  assert.equal(g.get('model.model.0.weight')!.shape, [4, 1, 4, 4]);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /loss\.svg/);
  assert.match(html, /test_grid\.png/);
  assert.match(html, /held-out L1 after training/);
  assert.ok(!readdirSync(out).some((f) => f.includes('.tmp')), 'no temporary files left');
});

t('--resume continues the saved run where it stopped', async () => {
  const out = join(dir, 'resume');
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    assert.is(await trainCommand([...base, '--max-steps', '2', '--out', out]), 0);
    assert.is(await trainCommand([...base, '--max-steps', '3', '--out', out, '--resume']), 0);
  } finally {
    console.log = log;
  }
  assert.ok(lines.some((l) => /resuming from .*latest\.ckpt: step 2, epoch 1/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /trained 1 steps .*, 3 in total/.test(l)), lines.join('\n'));
});

t('--resume without a checkpoint and a missing dataroot fail with a clear message', async () => {
  const errs: string[] = [];
  const err = console.error;
  console.error = (...a: unknown[]) => void errs.push(a.join(' '));
  try {
    assert.is(await quiet(() => trainCommand([...base, '--out', join(dir, 'none'), '--resume'])), 2);
  } finally {
    console.error = err;
  }
  assert.match(errs.join('\n'), /Nothing to resume/);
  try {
    await trainCommand(['--out', join(dir, 'x')]);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /--dataroot is required/);
  }
});

t.run();
