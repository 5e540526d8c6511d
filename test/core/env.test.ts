import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  defaultBaseUrl,
  detectEnvironment,
  nodeBuiltin,
  requireNodeBuiltin,
} from '../../src/core/env.js';

const E = suite('core/env');

E('detects Node', () => {
  assert.is(detectEnvironment(), 'node');
});

E('gives Node built-ins without importing them', () => {
  assert.type(nodeBuiltin('node:fs')?.existsSync, 'function');
  assert.type(requireNodeBuiltin('node:os', 'counting cores').availableParallelism, 'function');
});

E('says which feature needs Node when a built-in is missing', () => {
  const proc = globalThis.process as { getBuiltinModule?: unknown };
  const saved = proc.getBuiltinModule;
  proc.getBuiltinModule = undefined;
  try {
    assert.is(nodeBuiltin('node:fs'), undefined);
    assert.throws(
      () => requireNodeBuiltin('node:fs', 'Reading a dataset'),
      /Reading a dataset needs Node\.js >= 20\.16/,
    );
  } finally {
    proc.getBuiltinModule = saved;
  }
});

E('resolves relative paths against the working directory in Node', () => {
  assert.is(defaultBaseUrl(), new URL(`file://${process.cwd()}/`).href);
});

E.run();
