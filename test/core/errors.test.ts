import { suite } from 'uvu';
import * as assert from 'uvu/assert';
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

errors.run();
