import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/env.js';

const t = suite('check-commits');
const script = join(ROOT, 'scripts', 'check-commits.mjs');

// A throwaway repository: one commit with a 72-character subject, then one with 73.
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-commits-'));
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args],
      { cwd: dir, stdio: 'pipe' },
    );
  git('init', '-q');
  writeFileSync(join(dir, 'a'), '1');
  git('add', 'a');
  git(
    'commit',
    '-q',
    '-m',
    'x'.repeat(72),
    '-m',
    'a body may be as long as it needs to be '.repeat(5),
  );
  git('tag', 'ok');
  writeFileSync(join(dir, 'a'), '2');
  git('commit', '-q', '-am', 'y'.repeat(73));
  return dir;
}

t('accepts subjects of up to 72 characters and rejects longer ones', () => {
  const dir = repo();
  try {
    const good = spawnSync(process.execPath, [script, 'ok'], { cwd: dir, encoding: 'utf8' });
    assert.is(good.status, 0, good.stderr);
    const bad = spawnSync(process.execPath, [script, 'ok..HEAD'], { cwd: dir, encoding: 'utf8' });
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /subject has 73 characters \(at most 72\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t('says which range it could not read', () => {
  const dir = repo();
  try {
    const r = spawnSync(process.execPath, [script, 'nope..HEAD'], { cwd: dir, encoding: 'utf8' });
    assert.is(r.status, 2);
    assert.match(r.stderr, /Cannot read the commits of "nope\.\.HEAD"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
