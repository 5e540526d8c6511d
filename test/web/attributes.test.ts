import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  RELOAD_ATTRIBUTES,
  WIDGET_ATTRIBUTES,
  archOverrides,
  backendRequest,
} from '../../src/web/attributes.js';

const t = suite('widget attributes');
const attrs = (o: Record<string, string>) => (name: string) => o[name] ?? null;

t('reads the backend attribute as auto, one name or a list', () => {
  assert.is(backendRequest(null), 'auto');
  assert.is(backendRequest('  '), 'auto');
  assert.is(backendRequest('wasm'), 'wasm');
  assert.equal(backendRequest('webgl, wasm'), ['webgl', 'wasm']);
});

t('refuses an unknown backend and lists the valid names', () => {
  assert.throws(
    () => backendRequest('wasm,cuda'),
    (e: Error) =>
      e instanceof RangeError && /"cuda".*auto, cpu, wasm, webgl, webgpu/.test(e.message),
  );
});

t('reads architecture overrides and leaves out what is not set', () => {
  assert.equal(archOverrides(attrs({})), {});
  assert.equal(
    archOverrides(attrs({ 'num-downs': '7', ngf: '32', channels: '1,3', norm: 'instance' })),
    {
      numDowns: 7,
      ngf: 32,
      inputChannels: 1,
      outputChannels: 3,
      norm: 'instance',
    },
  );
  assert.equal(archOverrides(attrs({ channels: '3' })), { inputChannels: 3, outputChannels: 3 });
});

t('refuses bad architecture attributes, naming the attribute', () => {
  for (const [name, value] of [
    ['ngf', '0'],
    ['num-downs', '2.5'],
    ['channels', '2'],
    ['norm', 'group'],
  ]) {
    assert.throws(
      () => archOverrides(attrs({ [name!]: value! })),
      (e: Error) => e instanceof RangeError && e.message.includes(`"${name}"`),
      `${name}=${value}`,
    );
  }
});

t('a change of every model-shaping attribute reloads; size and mode do not', () => {
  for (const a of RELOAD_ATTRIBUTES)
    assert.ok((WIDGET_ATTRIBUTES as readonly string[]).includes(a), a);
  assert.not.ok(RELOAD_ATTRIBUTES.has('size'));
  assert.not.ok(RELOAD_ATTRIBUTES.has('mode'));
  assert.ok(RELOAD_ATTRIBUTES.has('model'));
});

t.run();
