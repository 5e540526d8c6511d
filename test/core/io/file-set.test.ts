// A checkpoint and its .pth exports are written as one set; a kill between two renames is detected.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs, type FsLike } from '../../../src/core/io/index.js';
import { checkFileSet, writeFileSet } from '../../../src/core/io/file-set.js';
import { CheckpointError } from '../../../src/core/errors.js';

const t = suite('file sets (checkpoint + .pth of one step)');
let dir = '';
t.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'p2p-set-'));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const set = (gen: string) => [
  { name: 'G.pth', parts: [bytes(`G of ${gen}`)] },
  { name: 'D.pth', parts: [bytes(`D of ${gen}`)] },
  { name: 'latest.ckpt', parts: [bytes(`ckpt `), bytes(`of ${gen}`)] },
];

/** Node's fs, where the process "dies" at the `n`th rename (1-based): it and later ones never happen. */
function killedAtRename(n: number): FsLike {
  const fs = nodeFs();
  let renames = 0;
  return {
    ...fs,
    open: fs.open.bind(fs),
    readFile: fs.readFile.bind(fs),
    mkdir: fs.mkdir.bind(fs),
    unlink: fs.unlink.bind(fs),
    readdir: fs.readdir?.bind(fs),
    rename: async (a, b) => {
      if (++renames >= n) throw new Error('killed');
      return fs.rename(a, b);
    },
  };
}

t('writes every file and a manifest that matches them', async () => {
  const m = await writeFileSet(nodeFs(), dir, 'latest.json', set('step 1'), 'step 1');
  assert.is(m.generation, 'step 1');
  assert.is(readFileSync(join(dir, 'latest.ckpt'), 'utf8'), 'ckpt of step 1');
  const check = await checkFileSet(nodeFs(), dir, 'latest.json');
  assert.equal(check.mismatched, []);
  assert.equal(
    check.manifest!.files.map((f) => [f.name, f.bytes]),
    [
      ['G.pth', 11],
      ['D.pth', 11],
      ['latest.ckpt', 14],
    ],
  );
  assert.not.ok(readdirSync(dir).some((f) => f.endsWith('.tmp')));
});

t('a kill between any two renames is detected by the manifest', async () => {
  for (const n of [2, 3, 4]) {
    // 4 = after the three files, before the manifest's own rename.
    rmSync(dir, { recursive: true, force: true });
    await writeFileSet(nodeFs(), dir, 'latest.json', set('step 1'), 'step 1');
    try {
      await writeFileSet(killedAtRename(n), dir, 'latest.json', set('step 2'), 'step 2');
      assert.unreachable('the kill surfaces');
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as CheckpointError).code, 'E_IO_WRITE');
    }
    const names = ['G.pth', 'D.pth', 'latest.ckpt'];
    const renamed = names.slice(0, n - 1);
    for (const f of names)
      assert.match(readFileSync(join(dir, f), 'utf8'), renamed.includes(f) ? 'step 2' : 'step 1');
    const check = await checkFileSet(nodeFs(), dir, 'latest.json');
    assert.is(check.manifest!.generation, 'step 1');
    assert.equal(check.mismatched, renamed, `kill at rename ${n}`);
  }
});

t(
  'a kill before the first rename changes nothing; a failed write leaves no temp file',
  async () => {
    await writeFileSet(nodeFs(), dir, 'latest.json', set('step 1'), 'step 1');
    try {
      await writeFileSet(killedAtRename(1), dir, 'latest.json', set('step 2'), 'step 2');
      assert.unreachable();
    } catch (e) {
      assert.instance(e, CheckpointError);
    }
    assert.equal((await checkFileSet(nodeFs(), dir, 'latest.json')).mismatched, []);
    const full: FsLike = {
      ...nodeFs(),
      open: async () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    };
    try {
      await writeFileSet(full, dir, 'latest.json', set('step 3'), 'step 3');
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /no space left.*previous files are unchanged/);
    }
    assert.equal((await checkFileSet(nodeFs(), dir, 'latest.json')).mismatched, []);
  },
);

t(
  'a folder without a manifest checks as unknown; a damaged manifest is a named error',
  async () => {
    assert.equal(await checkFileSet(nodeFs(), dir, 'latest.json'), {
      manifest: null,
      mismatched: [],
    });
    writeFileSync(join(dir, 'latest.json'), '{"format": "x"}');
    try {
      await checkFileSet(nodeFs(), dir, 'latest.json');
      assert.unreachable();
    } catch (e) {
      assert.is((e as CheckpointError).code, 'E_CHECKPOINT_CORRUPT');
    }
  },
);

t.run();
