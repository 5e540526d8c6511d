import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCommand } from '../../src/cli/train.js';
import { readPth } from '../../src/core/pth/index.js';
import { ROOT } from '../support/env.js';
import { runCommand } from '../support/cli.js';

const t = suite('pix2pix-ts train');
let dir = '';
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'p2p-train-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

const base = [
  '--dataroot',
  join(ROOT, 'data/fonts-zi2zi'),
  '--input-nc',
  '1',
  '--output-nc',
  '1',
  '--num-downs',
  '6',
  '--ngf',
  '4',
  '--ndf',
  '4',
  '--load-size',
  '68',
  '--crop-size',
  '64',
  '--no-flip',
  '--batch',
  '2',
  '--epochs',
  '1',
  '--epochs-decay',
  '1',
  '--sample-every',
  '2',
  '--checkpoint-every',
  '1',
  '--backend',
  'wasm',
];

t('writes checkpoints, sample grids, the loss curve and an HTML report', async () => {
  const out = join(dir, 'run');
  const r = await runCommand(trainCommand, [...base, '--max-steps', '4', '--out', out]);
  assert.is(r.code, 0, r.err.join('\n'));
  for (const f of [
    'latest.ckpt',
    'latest_net_G.pth',
    'latest_net_D.pth',
    'loss.svg',
    'loss.png',
    'index.html',
    'test_grid.png',
    'samples_step000002.png',
    'samples_step000004.png',
  ]) {
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
  assert.is((await runCommand(trainCommand, [...base, '--max-steps', '2', '--out', out])).code, 0);
  const second = await runCommand(trainCommand, [
    ...base,
    '--max-steps',
    '3',
    '--out',
    out,
    '--resume',
  ]);
  assert.is(second.code, 0, second.err.join('\n'));
  const lines = second.out;
  assert.ok(
    lines.some((l) => /resuming from .*latest\.ckpt: step 2, epoch 1/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /trained 1 steps .*, 3 in total/.test(l)),
    lines.join('\n'),
  );
});

t(
  '--resume without a checkpoint, a missing dataroot and a bad number fail with a coded message on stderr',
  async () => {
    const none = await runCommand(trainCommand, [...base, '--out', join(dir, 'none'), '--resume']);
    assert.is(none.code, 2);
    assert.match(none.err[0], /^error \[E_USAGE\]: Nothing to resume/);
    const noData = await runCommand(trainCommand, ['--out', join(dir, 'x')]);
    assert.is(noData.code, 2);
    assert.match(noData.err[0], /^error \[E_USAGE\]: --dataroot is required/);
    const badNum = await runCommand(trainCommand, [
      ...base,
      '--out',
      join(dir, 'y'),
      '--epochs',
      'many',
    ]);
    assert.is(badNum.code, 2);
    assert.match(badNum.err[0], /^error \[E_USAGE\]: --epochs must be an integer >= 0, got "many"/);
    assert.equal([...none.out, ...noData.out, ...badNum.out], [], 'nothing on stdout');
  },
);

t('an --out that cannot be written fails before the first step', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  const r = await runCommand(trainCommand, [...base, '--out', join(file, 'run')]);
  assert.is(r.code, 2);
  assert.match(
    r.err[0],
    /^error \[E_USAGE\]: --out .* is not a writable folder .*Checked before training starts/,
  );
  assert.not.ok(
    r.out.some((l) => /^train \d+\//.test(l)),
    'no step ran',
  );
});

t.run();
