/**
 * Error classes of pix2pix-ts. Every error the library throws on purpose is a
 * {@link Pix2PixError} with a stable `code`; `name` is the discriminant used to
 * rebuild the right class when an error crosses a worker boundary (comlink only
 * carries `name`, `message` and `stack`).
 *
 * @example
 * ```ts
 * try { await model.translate(img); }
 * catch (e) { if (e instanceof ShapeError) console.log(e.code, e.message); }
 * ```
 */
export class Pix2PixError extends Error {
  static readonly errorName: string = 'Pix2PixError';
  /** Stable machine-readable code, e.g. `E_SHAPE`. */
  readonly code: string;
  constructor(message: string, code = 'E_PIX2PIX', options?: { cause?: unknown }) {
    super(message, options as ErrorOptions);
    this.code = code;
    // Not `new.target.name`: bundlers and minifiers rename classes (esbuild emits `AbortError2`,
    // terser mangles), and `name` is what identifies the class across a worker boundary.
    this.name = (new.target as { errorName?: string }).errorName ?? 'Pix2PixError';
  }
}

/** A tensor or image has the wrong size or channel count. */
export class ShapeError extends Pix2PixError {
  static override readonly errorName: string = 'ShapeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_SHAPE', options);
  }
}

/** Input values are not usable (NaN, Infinity, out of range). */
export class ValueError extends Pix2PixError {
  static override readonly errorName: string = 'ValueError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_VALUE', options);
  }
}

/** A checkpoint / weights file could not be read or does not fit the model. */
export class CheckpointError extends Pix2PixError {
  static override readonly errorName: string = 'CheckpointError';
  constructor(message: string, code = 'E_CHECKPOINT', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/** The safe unpickler met something it refuses to load (a forbidden global, an unknown opcode). */
export class UnsafePickleError extends CheckpointError {
  static override readonly errorName: string = 'UnsafePickleError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_UNSAFE_PICKLE', options);
  }
}

/** State dict keys or shapes do not match the model (like PyTorch's load_state_dict message). */
export class StateDictMismatchError extends CheckpointError {
  static override readonly errorName: string = 'StateDictMismatchError';
  readonly missing: string[];
  readonly unexpected: string[];
  readonly wrongShapes: string[];
  constructor(missing: string[], unexpected: string[], wrongShapes: string[]) {
    const parts: string[] = [];
    if (missing.length) parts.push(`Missing key(s): ${missing.map((k) => `"${k}"`).join(', ')}.`);
    if (unexpected.length)
      parts.push(`Unexpected key(s): ${unexpected.map((k) => `"${k}"`).join(', ')}.`);
    if (wrongShapes.length) parts.push(`Size mismatch: ${wrongShapes.join('; ')}.`);
    super(`Error(s) in loading state_dict: ${parts.join(' ')}`, 'E_STATE_DICT');
    this.missing = missing;
    this.unexpected = unexpected;
    this.wrongShapes = wrongShapes;
  }
}

/** No backend could be initialised, or a requested backend is unavailable. */
export class BackendError extends Pix2PixError {
  static override readonly errorName: string = 'BackendError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_BACKEND', options);
  }
}

/** A golden/reference folder is incomplete or unreadable. */
export class GoldenError extends Pix2PixError {
  static override readonly errorName: string = 'GoldenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_GOLDEN', options);
  }
}

/** A dataset file or folder is unusable. */
export class DatasetError extends Pix2PixError {
  static override readonly errorName: string = 'DatasetError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_DATASET', options);
  }
}

/** An operation was cancelled through an AbortSignal. */
export class AbortError extends Pix2PixError {
  static override readonly errorName: string = 'AbortError';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, 'E_ABORTED', options);
  }
}

/** The object was used after `dispose()`. */
export class DisposedError extends Pix2PixError {
  static override readonly errorName: string = 'DisposedError';
  constructor(what = 'This model') {
    super(`${what} has been disposed; create a new one with createPix2Pix()`, 'E_DISPOSED');
  }
}

/** A worker crashed or was terminated while calls were pending. */
export class WorkerError extends Pix2PixError {
  static override readonly errorName: string = 'WorkerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_WORKER', options);
  }
}

/**
 * An input would cost more than a resource limit allows (pickle opcodes or nesting, tensor
 * elements, zip entry sizes, image pixels); the limit was checked before the work was done.
 * Its message names the option that raises the limit.
 */
export class LimitError extends Pix2PixError {
  static override readonly errorName: string = 'LimitError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_LIMIT', options);
  }
}

/** What an error becomes on the wire: enough to rebuild the same class with the same `code`. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** Extra own fields of library errors (e.g. `missing` / `unexpected` of a state-dict mismatch). */
  fields?: Record<string, unknown>;
}

type Fields = Record<string, unknown>;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * The one registry of error classes: canonical name, class, and how to rebuild an instance from a
 * message (and the extra fields that crossed the wire). Subclasses come before their bases, so
 * the first `instanceof` match is the most specific class. `name` alone cannot be trusted to find
 * the class of a local error (a bundler may rename it, e.g. esbuild's `AbortError2`).
 */
const REGISTRY: {
  name: string;
  Class: abstract new (...a: never[]) => Pix2PixError;
  revive: (message: string, fields: Fields) => Pix2PixError;
}[] = [
  {
    name: 'StateDictMismatchError',
    Class: StateDictMismatchError,
    revive: (m, f) =>
      Object.assign(
        new StateDictMismatchError(
          strings(f.missing),
          strings(f.unexpected),
          strings(f.wrongShapes),
        ),
        { message: m },
      ),
  },
  { name: 'UnsafePickleError', Class: UnsafePickleError, revive: (m) => new UnsafePickleError(m) },
  { name: 'CheckpointError', Class: CheckpointError, revive: (m) => new CheckpointError(m) },
  { name: 'ShapeError', Class: ShapeError, revive: (m) => new ShapeError(m) },
  { name: 'ValueError', Class: ValueError, revive: (m) => new ValueError(m) },
  { name: 'BackendError', Class: BackendError, revive: (m) => new BackendError(m) },
  { name: 'GoldenError', Class: GoldenError, revive: (m) => new GoldenError(m) },
  { name: 'DatasetError', Class: DatasetError, revive: (m) => new DatasetError(m) },
  { name: 'AbortError', Class: AbortError, revive: (m) => new AbortError(m) },
  {
    name: 'DisposedError',
    Class: DisposedError,
    revive: (m) =>
      Object.assign(new DisposedError(), { message: m || new DisposedError().message }),
  },
  { name: 'WorkerError', Class: WorkerError, revive: (m) => new WorkerError(m) },
  { name: 'LimitError', Class: LimitError, revive: (m) => new LimitError(m) },
  { name: 'Pix2PixError', Class: Pix2PixError, revive: (m) => new Pix2PixError(m) },
];

const EXTRA_FIELDS = ['missing', 'unexpected', 'wrongShapes'] as const;

/** JavaScript's own error classes that a worker's error is rebuilt as, by name. */
const BUILT_IN: Record<string, new (message: string) => Error> = {
  TypeError,
  RangeError,
  SyntaxError,
  URIError,
  ReferenceError,
  EvalError,
};

/**
 * Rebuilds a library error from its serialised `name`, `message` and `code`
 * (what crosses a worker boundary). Unknown names give a plain `Error` with that name.
 *
 * @example
 * ```ts
 * const e = reviveError({ name: 'ShapeError', message: 'bad', code: 'E_SHAPE' });
 * e instanceof ShapeError; // true
 * ```
 */
export function reviveError(obj: {
  name?: string;
  message?: string;
  stack?: string;
  code?: string;
  fields?: Fields;
}): Error {
  const entry = obj.name ? REGISTRY.find((r) => r.name === obj.name) : undefined;
  let err: Error;
  if (entry) {
    err = entry.revive(obj.message ?? '', obj.fields ?? {});
  } else if (obj.name && obj.name in BUILT_IN) {
    // Bad arguments are TypeError / RangeError: the same class on this side of the boundary.
    err = new BUILT_IN[obj.name](obj.message ?? '');
  } else {
    err = new Error(obj.message ?? '');
    if (obj.name) err.name = obj.name;
  }
  if (obj.code && (err as { code?: string }).code !== obj.code)
    (err as { code?: string }).code = obj.code;
  if (obj.stack) err.stack = obj.stack;
  return err;
}

/**
 * Flattens an error (or any thrown value) into plain data for `postMessage`.
 *
 * @example
 * ```ts
 * serializeError(new ShapeError('bad')); // { name: 'ShapeError', message: 'bad', code: 'E_SHAPE', stack }
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error))
    return {
      name: 'Error',
      message: typeof e === 'string' ? e : `Non-error value thrown: ${safeString(e)}`,
    };
  const name = REGISTRY.find(({ Class }) => e instanceof Class)?.name ?? e.name;
  const out: SerializedError = { name, message: e.message, stack: e.stack };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  const fields: Fields = {};
  for (const k of EXTRA_FIELDS) {
    const v = (e as unknown as Fields)[k];
    if (Array.isArray(v)) fields[k] = [...v];
  }
  if (Object.keys(fields).length) out.fields = fields;
  return out;
}

/**
 * Rebuilds an error from {@link serializeError}'s output: library errors come back as the same
 * class (`instanceof` works, a state-dict mismatch included) with the same `code` and fields; the
 * stack is the worker's.
 *
 * @example
 * ```ts
 * deserializeError({ name: 'ShapeError', message: 'bad', code: 'E_SHAPE' }) instanceof ShapeError; // true
 * ```
 */
export function deserializeError(s: SerializedError): Error {
  const err = reviveError(s);
  if (s.fields && !(err instanceof Pix2PixError)) Object.assign(err, s.fields);
  return err;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return typeof v;
  }
}
