import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { unpickle, PyDict, PLAIN_DATA_HOOKS } from '../../../src/core/pth/pickle.js';
import { TorchUnpickler } from '../../../src/core/pth/torch-pickle.js';
import { CheckpointError, UnsafePickleError } from '../../../src/core/errors.js';

const hex = (s: string): Uint8Array => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

// Vectors made with CPython 3's pickle.dumps (see each comment).
// {'a': 1, 'b': [1.5, -2, 2**70, -2**70, None, True, False, 'ünï', 70000, -70000], 'c': ('x', 'y', 'z', 'w'), 'd': {}}
const P2 =
  '80027d71002858010000006171014b0158010000006271025d710328473ff80000000000004afeffffff8a090000000000000000408a090000000000000000c04e88895805000000c3bc6ec3af71044a701101004a90eefeff655801000000637105285801000000787106580100000079710758010000007a7108580100000077710974710a580100000064710b7d710c752e';
const P0 =
  '(dp0\nVa\np1\nI1\nsVb\np2\n(lp3\nF1.5\naI-2\naL1180591620717411303424L\naL-1180591620717411303424L\naNaI01\naI00\naV\xfcn\xef\np4\naI70000\naI-70000\nasVc\np5\n(Vx\np6\nVy\np7\nVz\np8\nVw\np9\ntp10\nsVd\np11\n(dp12\ns.';
// {'a': 1, 'b': [1.5, -2, 2**70, -2**70, None, True, False, 'ünï'], 'c': ('x', b'\x00\x01'), 'd': {}}, protocol 4 and 5
const P4 =
  '80049557000000000000007d94288c0161944b018c0162945d9428473ff80000000000004afeffffff8a090000000000000000408a090000000000000000c04e88898c05c3bc6ec3af94658c0163948c017894430200019486948c0164947d94752e';
// od = OrderedDict([('w', 1), ('v', 2)]); od._metadata = OrderedDict([('', {'version': 1})]); protocol 2
const OD =
  '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000007771024b0158010000007671034b02757d710458090000005f6d657461646174617105680029527106580000000071077d7108580700000076657273696f6e71094b01737373622e';
// a class whose __reduce__ returns (os.system, ('echo pwned',)), protocol 2
const EVIL_SYSTEM =
  '800263706f7369780a73797374656d0a7100580a0000006563686f2070776e656471018571025271032e';
// (builtins.eval, ('1+1',)), protocol 4: STACK_GLOBAL
const EVIL_EVAL =
  '8004951f000000000000008c086275696c74696e73948c046576616c9493948c03312b3194859452942e';

const torchHooks = (): TorchUnpickler => new TorchUnpickler(() => null);

const pickle = suite('unpickle');

pickle('reads a protocol 2 pickle of plain data', () => {
  const bytes = hex(P2);
  const { value, end } = unpickle(bytes, 0, PLAIN_DATA_HOOKS);
  assert.is(end, bytes.length);
  assert.instance(value, PyDict);
  const d = value as PyDict;
  assert.equal([...d.keys()], ['a', 'b', 'c', 'd']);
  assert.is(d.get('a'), 1);
  assert.equal(d.get('b'), [
    1.5,
    -2,
    2n ** 70n,
    -(2n ** 70n),
    null,
    true,
    false,
    'ünï',
    70000,
    -70000,
  ]);
  assert.equal([...(d.get('c') as string[])], ['x', 'y', 'z', 'w']);
  assert.ok(Object.isFrozen(d.get('c')), 'tuples are frozen');
  assert.instance(d.get('d'), PyDict);
});

pickle('reads the same data from a protocol 0 pickle', () => {
  const d = unpickle(latin1(P0), 0, PLAIN_DATA_HOOKS).value as PyDict;
  assert.equal(d.get('b'), [
    1.5,
    -2,
    2n ** 70n,
    -(2n ** 70n),
    null,
    true,
    false,
    'ünï',
    70000,
    -70000,
  ]);
  assert.equal([...(d.get('c') as string[])], ['x', 'y', 'z', 'w']);
});

pickle('reads protocol 4 and 5 pickles with frames, memoize and bytes', () => {
  for (const proto of ['04', '05']) {
    const d = unpickle(hex(P4.replace(/^8004/, '80' + proto)), 0, PLAIN_DATA_HOOKS).value as PyDict;
    assert.equal(d.get('b'), [1.5, -2, 2n ** 70n, -(2n ** 70n), null, true, false, 'ünï']);
    const c = d.get('c') as [string, Uint8Array];
    assert.is(c[0], 'x');
    assert.equal([...c[1]], [0, 1]);
  }
});

pickle('keeps attributes set by BUILD on an OrderedDict, like a state_dict _metadata', () => {
  const d = unpickle(hex(OD), 0, torchHooks()).value as PyDict;
  assert.ok(d.ordered);
  assert.equal(
    [...d.entries()],
    [
      ['w', 1],
      ['v', 2],
    ],
  );
  const meta = d.attrs.get('_metadata') as PyDict;
  assert.instance(meta, PyDict);
  assert.is((meta.get('') as PyDict).get('version'), 1);
});

pickle('refuses os.system named by GLOBAL, before calling anything', () => {
  try {
    unpickle(hex(EVIL_SYSTEM), 0, torchHooks());
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsafePickleError);
    assert.is((e as UnsafePickleError).code, 'E_UNSAFE_PICKLE');
    assert.match((e as Error).message, /"posix\.system"/);
    assert.match((e as Error).message, /refused for safety/);
  }
});

pickle('refuses builtins.eval named by STACK_GLOBAL', () => {
  try {
    unpickle(hex(EVIL_EVAL), 0, torchHooks());
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsafePickleError);
    assert.match((e as Error).message, /"builtins\.eval"/);
  }
});

pickle('refuses every global with the plain-data hooks', () => {
  assert.throws(
    () => unpickle(hex(OD), 0, PLAIN_DATA_HOOKS),
    (e: unknown) =>
      e instanceof UnsafePickleError && /collections\.OrderedDict/.test((e as Error).message),
  );
});

pickle('refuses INST, which constructs arbitrary classes', () => {
  assert.throws(
    () => unpickle(latin1('(ios\nsystem\n.'), 0, torchHooks()),
    (e: unknown) => e instanceof UnsafePickleError && /INST/.test((e as Error).message),
  );
});

pickle('reports an unknown opcode as a bad pickle with its offset', () => {
  try {
    unpickle(hex('8002ff2e'), 0, PLAIN_DATA_HOOKS);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.is((e as CheckpointError).code, 'E_BAD_PICKLE');
    assert.match((e as Error).message, /0xff at byte 2/);
  }
});

pickle('reports a pickle cut short as truncated', () => {
  const bytes = hex(P2);
  for (const cut of [1, 10, 40, bytes.length - 1]) {
    try {
      unpickle(bytes.subarray(0, cut), 0, PLAIN_DATA_HOOKS);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as CheckpointError).code, 'E_TRUNCATED', `cut at ${cut}`);
    }
  }
});

pickle('reports a memo reference that was never stored', () => {
  assert.throws(
    () => unpickle(hex('8002680585'), 0, PLAIN_DATA_HOOKS),
    (e: unknown) =>
      (e as CheckpointError).code === 'E_BAD_PICKLE' && /memo entry 5/.test((e as Error).message),
  );
});

pickle.run();
