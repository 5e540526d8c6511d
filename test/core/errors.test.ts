import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as E from '../../src/core/errors.js';
import { ShapeError, Pix2PixError, reviveError, DisposedError } from '../../src/core/errors.js';

const errors = suite('errors');

errors('a revived error keeps its class and code', () => {
  const e = reviveError({ name: 'ShapeError', message: 'bad size', code: 'E_SHAPE' });
  assert.instance(e, ShapeError);
  assert.instance(e, Pix2PixError);
  assert.is((e as ShapeError).code, 'E_SHAPE');
  assert.is(e.message, 'bad size');
});

errors('an unknown error name gives a plain Error with that name', () => {
  const e = reviveError({ name: 'RangeError', message: 'x' });
  assert.not.instance(e, Pix2PixError);
  assert.is(e.name, 'RangeError');
});

errors('a disposed error says how to recover', () => {
  const e = new DisposedError();
  assert.match(e.message, /createPix2Pix/);
  assert.is(e.code, 'E_DISPOSED');
});

errors('every error class has its own stable name, even bundled (classes get renamed by bundlers)', () => {
  const made: Error[] = [
    new E.Pix2PixError('x'), new E.ShapeError('x'), new E.ValueError('x'), new E.CheckpointError('x'), new E.UnsafePickleError('x'),
    new E.StateDictMismatchError(['a'], [], []), new E.BackendError('x'), new E.GoldenError('x'), new E.DatasetError('x'),
    new E.AbortError(), new E.DisposedError(), new E.WorkerError('x'),
  ];
  assert.equal(made.map((e) => e.name), ['Pix2PixError', 'ShapeError', 'ValueError', 'CheckpointError', 'UnsafePickleError', 'StateDictMismatchError', 'BackendError', 'GoldenError', 'DatasetError', 'AbortError', 'DisposedError', 'WorkerError']);
  for (const e of made) {
    if (e.name === 'StateDictMismatchError' || e.name === 'DisposedError') continue;
    const back = reviveError({ name: e.name, message: e.message, code: (e as Pix2PixError).code });
    assert.is(back.constructor, e.constructor, e.name);
  }
});

errors.run();
