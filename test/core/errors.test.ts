import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as E from '../../src/core/errors.js';
import {
  ShapeError,
  Pix2PixError,
  reviveError,
  DisposedError,
  StateDictMismatchError,
  CheckpointError,
  serializeError,
  deserializeError,
} from '../../src/core/errors.js';

const errors = suite('errors');

errors('a revived error keeps its class and code', () => {
  const e = reviveError({ name: 'ShapeError', message: 'bad size', code: 'E_SHAPE' });
  assert.instance(e, ShapeError);
  assert.instance(e, Pix2PixError);
  assert.is((e as ShapeError).code, 'E_SHAPE');
  assert.is(e.message, 'bad size');
});

errors('an unknown error name gives a plain Error with that name', () => {
  const e = reviveError({ name: 'WeirdError', message: 'x' });
  assert.not.instance(e, Pix2PixError);
  assert.is(e.name, 'WeirdError');
});

errors('TypeError and RangeError (bad arguments) come back as their own classes', () => {
  const t = reviveError({ name: 'TypeError', message: 'bad option' });
  assert.instance(t, TypeError);
  assert.is(t.message, 'bad option');
  const r = reviveError({ name: 'RangeError', message: 'x' });
  assert.instance(r, RangeError);
  assert.not.instance(r, Pix2PixError);
  assert.is(r.name, 'RangeError');
});

errors('a disposed error says how to recover', () => {
  const e = new DisposedError();
  assert.match(e.message, /createPix2Pix/);
  assert.is(e.code, 'E_DISPOSED');
});

errors(
  'every error class has its own stable name, even bundled (classes get renamed by bundlers)',
  () => {
    const made: Error[] = [
      new E.Pix2PixError('x'),
      new E.ShapeError('x'),
      new E.ValueError('x'),
      new E.CheckpointError('x'),
      new E.UnsafePickleError('x'),
      new E.StateDictMismatchError(['a'], [], []),
      new E.BackendError('x'),
      new E.GoldenError('x'),
      new E.DatasetError('x'),
      new E.AbortError(),
      new E.DisposedError(),
      new E.WorkerError('x'),
    ];
    assert.equal(
      made.map((e) => e.name),
      [
        'Pix2PixError',
        'ShapeError',
        'ValueError',
        'CheckpointError',
        'UnsafePickleError',
        'StateDictMismatchError',
        'BackendError',
        'GoldenError',
        'DatasetError',
        'AbortError',
        'DisposedError',
        'WorkerError',
      ],
    );
    for (const e of made) {
      const back = reviveError({
        name: e.name,
        message: e.message,
        code: (e as Pix2PixError).code,
      });
      assert.is(back.constructor, e.constructor, e.name);
      assert.is(back.message, e.message, e.name);
      assert.is((back as Pix2PixError).code, (e as Pix2PixError).code, e.name);
    }
  },
);

errors('a state-dict mismatch crosses the wire as itself, with its key lists', () => {
  const sent = new StateDictMismatchError(['a.weight'], ['b.bias'], ['c: [1] vs [2]']);
  const back = deserializeError(JSON.parse(JSON.stringify(serializeError(sent))));
  assert.instance(back, StateDictMismatchError);
  assert.instance(back, CheckpointError);
  assert.is((back as StateDictMismatchError).code, 'E_STATE_DICT');
  assert.equal((back as StateDictMismatchError).missing, ['a.weight']);
  assert.equal((back as StateDictMismatchError).unexpected, ['b.bias']);
  assert.equal((back as StateDictMismatchError).wrongShapes, ['c: [1] vs [2]']);
  assert.is(back.message, sent.message);
});

errors('a renamed class (as bundlers do) is still serialised under its canonical name', () => {
  class ShapeError2 extends ShapeError {}
  assert.is(serializeError(new ShapeError2('x')).name, 'ShapeError');
  assert.equal(serializeError('plain'), { name: 'Error', message: 'plain' });
});

errors.run();
