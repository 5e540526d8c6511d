import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFontDataset } from '../../scripts/make-font-dataset.js';
import { ROOT } from '../support/env.js';

const gen = suite('make-font-dataset');

gen('regenerates the committed samples byte for byte', async () => {
  const out = mkdtempSync(join(tmpdir(), 'p2p-fonts-'));
  try {
    const r = await makeFontDataset({ out, count: 18 });
    assert.is(r.train.length, 15);
    assert.is(r.test.length, 3);
    for (const split of ['train', 'test']) {
      const files = readdirSync(join(out, split));
      assert.is(files.length, split === 'train' ? 15 : 3);
      for (const f of files) {
        assert.ok(
          readFileSync(join(out, split, f)).equals(
            readFileSync(join(ROOT, 'data', 'fonts-zi2zi', split, f)),
          ),
          `${split}/${f} differs from the committed file`,
        );
      }
    }
    const committed = readFileSync(join(ROOT, 'data', 'fonts-zi2zi', 'chars.tsv'), 'utf8').split(
      '\n',
    );
    assert.equal(
      readFileSync(join(out, 'chars.tsv'), 'utf8').trim().split('\n'),
      committed.slice(0, 19),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

gen('rejects a size that is not a multiple of 4', async () => {
  try {
    await makeFontDataset({ out: join(tmpdir(), 'never-written'), size: 30 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
    assert.match((e as Error).message, 'size must be a multiple of 4');
  }
});

gen.run();
