import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCommand } from '../../src/cli/train.js';
import { readPth } from '../../src/core/pth/index.js';
import { nodeFs } from '../../src/core/io/index.js';
import { checkFileSet } from '../../src/core/io/file-set.js';
import { ROOT } from '../support/env.js';
import { runCommand, tinyTrainArgs } from '../support/cli.js';

const t = suite('pix2pix-ts train');
let dir = '';
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'p2p-train-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

const base = tinyTrainArgs(join(ROOT, 'data/fonts-zi2zi'), 'wasm', [
  '--epochs-decay',
  '1',
  '--sample-every',
  '2',
  '--checkpoint-every',
  '1',
]);

t('writes checkpoints, sample grids, the loss curve and an HTML report', async () => {
  const out = join(dir, 'run');
  const r = await runCommand(trainCommand, [...base, '--max-steps', '4', '--out', out]);
  assert.is(r.code, 0, r.err.join('\n'));
  for (const f of [
    'latest.ckpt',
    'latest.json',
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
  assert.equal((await checkFileSet(nodeFs(), out, 'latest.json')).mismatched, []);
  // As if a save had been killed after renaming one file of the set: G.pth of another save.
  copyFileSync(join(out, 'latest_net_D.pth'), join(out, 'latest_net_G.pth'));
  assert.equal((await checkFileSet(nodeFs(), out, 'latest.json')).mismatched, ['latest_net_G.pth']);
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
  assert.ok(
    second.err.some((l) =>
      /^warning: latest_net_G\.pth in .* does not match latest\.json \(a save was interrupted/.test(
        l,
      ),
    ),
    second.err.join('\n'),
  );
  assert.equal((await checkFileSet(nodeFs(), out, 'latest.json')).mismatched, []);
  const g = readPth(new Uint8Array(readFileSync(join(out, 'latest_net_G.pth'))));
  assert.ok(g.has('model.model.0.weight'), 'G.pth holds the generator again');
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

t('--out under /proc (a path that cannot be made) fails at once, coded, on stderr', async () => {
  const r = await runCommand(trainCommand, [...base, '--out', '/proc/x']);
  assert.is(r.code, 2);
  assert.match(r.err[0], /^error \[E_USAGE\]: --out \/proc\/x is not a writable folder/);
  assert.not.ok(
    r.out.some((l) => /^train \d+\//.test(l)),
    'no step ran',
  );
  assert.not.ok(existsSync('/proc/x'));
});

/** A dataset folder with the first `n` font pairs in train/ (and whatever `extra` adds). */
function smallDataset(name: string, n = 4): string {
  const root = join(dir, name);
  const src = join(ROOT, 'data/fonts-zi2zi/train');
  mkdirSync(join(root, 'train'), { recursive: true });
  for (const f of readdirSync(src).slice(0, n)) copyFileSync(join(src, f), join(root, 'train', f));
  return root;
}
const small = (root: string, out: string): string[] => [
  ...base.slice(2),
  '--dataroot',
  root,
  '--max-steps',
  '2',
  '--out',
  out,
];

t('without a test/ or val/ split no held-out L1 is measured, and the log says so', async () => {
  const root = smallDataset('no-split');
  const out = join(dir, 'no-split-run');
  const r = await runCommand(trainCommand, small(root, out));
  assert.is(r.code, 0, r.err.join('\n'));
  assert.ok(
    r.out.some((l) => /^held-out split: none \(no test\/ or val\/ in /.test(l)),
    r.out.join('\n'),
  );
  assert.not.ok(r.out.some((l) => /^held-out L1/.test(l)));
  assert.not.ok(existsSync(join(out, 'test_grid.png')));
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.not.match(html, /held-out L1/);
  assert.match(html, /no held-out split/);
  // A named split that does not exist is an error, not a fallback.
  const named = await runCommand(trainCommand, [...small(root, out), '--val-phase', 'val']);
  assert.is(named.code, 2);
  assert.match(named.err[0], /^error \[E_DATASET\]: No "val" split in /);
});

t('a held-out split of mixed sizes is evaluated with a finite L1 and named', async () => {
  const root = smallDataset('mixed');
  mkdirSync(join(root, 'val'));
  const gray = (w: number, h: number, v: number) =>
    sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: v, b: v } } })
      .png()
      .toBuffer();
  copyFileSync(
    join(root, 'train', readdirSync(join(root, 'train'))[0]),
    join(root, 'val', 'a.png'),
  );
  writeFileSync(join(root, 'val', 'b.png'), await gray(200, 100, 90)); // 100x100 halves
  writeFileSync(join(root, 'val', 'c.png'), await gray(40, 20, 200)); // 20x20 halves
  const out = join(dir, 'mixed-run');
  const r = await runCommand(trainCommand, small(root, out));
  assert.is(r.code, 0, r.err.join('\n'));
  const line = r.out.find((l) => l.startsWith('held-out L1 after training'));
  assert.ok(line, r.out.join('\n'));
  assert.match(line!, /^held-out L1 after training \(split "val"\): \d+\.\d{4}$/);
  assert.ok(Number.isFinite(Number(line!.split(': ')[1])));
  assert.ok(r.out.some((l) => /3 held out \(split "val"\)/.test(l)));
  assert.ok(existsSync(join(out, 'test_grid.png')));
});

t('a truncated training image is refused before the first step, naming it', async () => {
  const root = smallDataset('truncated');
  const f = join(root, 'train', readdirSync(join(root, 'train'))[1]);
  const bytes = readFileSync(f);
  writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const out = join(dir, 'truncated-run');
  const r = await runCommand(trainCommand, small(root, out));
  assert.is(r.code, 2);
  assert.ok(
    r.err.some((l) => l.includes(`Cannot read image "${f}"`)),
    r.err.join('\n'),
  );
  assert.ok(r.err.some((l) => /^error \[E_DATASET\]: 1 unusable file/.test(l)));
  assert.not.ok(existsSync(join(out, 'latest.ckpt')));
});

t('symbolic links that are not followed are named in a warning', async () => {
  const root = smallDataset('links');
  const outside = join(dir, 'outside.png');
  copyFileSync(join(root, 'train', readdirSync(join(root, 'train'))[0]), outside);
  symlinkSync(outside, join(root, 'train', 'zz-outside.png'));
  const r = await runCommand(trainCommand, small(root, join(dir, 'links-run')));
  assert.is(r.code, 0, r.err.join('\n'));
  assert.ok(
    r.err.some((l) =>
      /^warning: dataset: Symbolic link ".*zz-outside\.png" is not used: it points outside/.test(l),
    ),
    r.err.join('\n'),
  );
});

t.run();
