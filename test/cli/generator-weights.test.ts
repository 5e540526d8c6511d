import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGeneratorWeights } from '../../src/cli/generator-weights.js';
import { writePth } from '../../src/core/pth/index.js';
import { ROOT } from '../support/env.js';

const G = suite('cli/generator-weights: every format the library writes');
const MODEL_JSON = join(ROOT, 'examples/models/fonts128-u8/model.json');

G('reads web weights (model.json), the shipped model and a .pth alike', async () => {
  const web = await readGeneratorWeights(MODEL_JSON);
  const shipped = await readGeneratorWeights('default');
  const dir = mkdtempSync(join(tmpdir(), 'p2p-gw-'));
  try {
    writeFileSync(join(dir, 'G.pth'), writePth(web.stateDict));
    const pth = await readGeneratorWeights(join(dir, 'G.pth'));
    for (const other of [shipped, pth]) {
      assert.equal({ ...other.generator, dropout: true }, { ...web.generator, dropout: true });
      assert.equal([...other.stateDict.keys()], [...web.stateDict.keys()]);
      const k = [...web.stateDict.keys()][0]!;
      assert.equal(
        Array.from(other.stateDict.get(k)!.data as Float32Array),
        Array.from(web.stateDict.get(k)!.data as Float32Array),
      );
    }
    assert.equal(
      [web.generator.numDowns, web.generator.ngf, web.generator.inputChannels],
      [7, 16, 1],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

G('names the file that is missing', async () => {
  try {
    await readGeneratorWeights(join(ROOT, 'nope', 'model.json'));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /nope/);
  }
});

G.run();
