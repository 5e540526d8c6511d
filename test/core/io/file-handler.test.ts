// Weight paths named by a model.json are confined to its folder: no "..", no absolute paths, only
// regular files, never more bytes than the weight specs need.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, symlinkSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileHandler, isConfinedPath, atomicWrite, nodeFs } from '../../../src/core/io/index.js';
import { CheckpointError } from '../../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'p2p-model-json-'));
const spec = [{ name: 'w', shape: [4], dtype: 'float32' }];
/** Writes `<dir>/<sub>/model.json` naming `paths` and returns its path. */
function modelJson(sub: string, paths: string[]): string {
  mkdirSync(join(dir, sub), { recursive: true });
  const file = join(dir, sub, 'model.json');
  writeFileSync(
    file,
    JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths, weights: spec }] }),
  );
  return file;
}
async function loadError(path: string): Promise<CheckpointError> {
  try {
    await fileHandler(path).load!();
  } catch (e) {
    assert.instance(e, CheckpointError, String((e as Error)?.stack ?? e));
    return e as CheckpointError;
  }
  return assert.unreachable('expected an error') as never;
}

const paths = suite('model.json weight paths');
paths.after(() => rmSync(dir, { recursive: true, force: true }));

paths('loads weights beside the model.json', async () => {
  const file = modelJson('ok', ['w.bin']);
  writeFileSync(join(dir, 'ok', 'w.bin'), new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
  const a = await fileHandler(file).load!();
  assert.equal([...new Float32Array(a.weightData as ArrayBuffer)], [1, 2, 3, 4]);
});

paths('refuses paths that leave the folder, before reading anything', async () => {
  for (const p of [
    '../../../../etc/passwd',
    '/etc/passwd',
    'sub/../../x.bin',
    'C:\\x.bin',
    'file:///etc/passwd',
    '..\\x.bin',
  ]) {
    const e = await loadError(modelJson('escape', [p]));
    assert.is(e.code, 'E_UNSAFE_PATH', e.message);
    assert.not.match(e.message, /bytes/, 'nothing was read');
  }
});

paths('refuses a weights file that is a link, a device or a folder', async () => {
  symlinkSync('/dev/zero', join(dir, 'link-zero.bin'));
  mkdirSync(join(dir, 'folder.bin'));
  for (const p of ['link-zero.bin', 'folder.bin']) {
    const e = await loadError(modelJson('.', [p]));
    assert.is(e.code, 'E_UNSAFE_PATH', e.message);
  }
});

paths('refuses a weights file larger than the specs need before reading it', async () => {
  writeFileSync(join(dir, 'big.bin'), new Uint8Array(1 << 20));
  const e = await loadError(modelJson('.', ['big.bin']));
  assert.is(e.code, 'E_CHECKPOINT_CORRUPT', e.message);
  assert.match(e.message, /refused before reading/);
});

paths('isConfinedPath accepts relative names and nested folders only', () => {
  assert.ok(isConfinedPath('group1-shard1of2.bin'));
  assert.ok(isConfinedPath('shards/a.bin'));
  for (const p of ['', '..', 'a/../../b', '/abs', '\\abs', 'c:/x', 'https://x/y.bin', 'a\0b', 3])
    assert.not.ok(isConfinedPath(p), String(p));
});

paths('a save removes temp files that a killed save left behind, not recent ones', async () => {
  const sub = join(dir, 'temps');
  mkdirSync(sub);
  const old = join(sub, `.latest.ckpt.${(Date.now() - 3600_000).toString(36)}abcdef.tmp`);
  const recent = join(sub, `.latest.ckpt.${Date.now().toString(36)}ghijkl.tmp`);
  writeFileSync(old, 'x');
  writeFileSync(recent, 'y');
  await atomicWrite(nodeFs(), join(sub, 'latest.ckpt'), [new Uint8Array(3)]);
  assert.not.ok(existsSync(old), 'the stale temp file was removed');
  assert.ok(existsSync(recent), 'a temp file of a save that may be running is kept');
});

paths.run();
