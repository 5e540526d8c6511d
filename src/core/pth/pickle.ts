/**
 * A minimal, safe reader for Python pickles (protocols 0 to 5, as far as data goes).
 *
 * Nothing in a pickle is ever executed: class and function references (GLOBAL,
 * STACK_GLOBAL) are resolved through a caller-supplied allow-list, and calls
 * (REDUCE, NEWOBJ) go to a caller-supplied dispatcher that only knows a few pure
 * data constructors. Opcodes that can only build arbitrary objects (INST, OBJ, the
 * extension registry) are refused.
 */
import { CheckpointError, LimitError, UnsafePickleError } from '../errors.js';

/**
 * A reference to an allowed Python global (a class or function), never a callable.
 *
 * @example
 * ```ts
 * new PyGlobal('collections', 'OrderedDict').qualifiedName; // 'collections.OrderedDict'
 * ```
 */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  /** `module.name`, as Python prints it. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * A Python dict (or `collections.OrderedDict`). Attributes set on it by BUILD, such
 * as the `_metadata` PyTorch attaches to a state_dict, are kept in `attrs`.
 *
 * @example
 * ```ts
 * const meta = (readPthObject(bytes) as PyDict).attrs.get('_metadata');
 * ```
 */
export class PyDict extends Map<PyValue, PyValue> {
  readonly attrs = new Map<string, PyValue>();
  constructor(readonly ordered = false) {
    super();
  }
}

/**
 * Any value the unpickler can produce. Tuples are frozen arrays, lists plain arrays,
 * ints numbers (bigint beyond 2^53), bytes Uint8Arrays.
 *
 * @example
 * ```ts
 * const v: PyValue = Object.freeze([1, 'a', null]); // the tuple (1, 'a', None)
 * ```
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | readonly PyValue[]
  | PyDict
  | Set<PyValue>
  | PyGlobal
  | PyOpaque;

/**
 * Base of objects built by hooks (tensors, storages): opaque to the unpickler itself.
 *
 * @example
 * ```ts
 * class MyStorage extends PyOpaque {}
 * ```
 */
export abstract class PyOpaque {
  protected readonly pyOpaque = true;
}

/**
 * Hooks that decide what globals mean; the unpickler itself knows none.
 *
 * @example
 * ```ts
 * const hooks: UnpickleHooks = { findGlobal: (m, n) => refuseGlobal(m, n), call: (fn) => refuseCall(fn) };
 * ```
 */
export interface UnpickleHooks {
  /** Returns the global, or throws {@link UnsafePickleError} when it is not allowed. */
  findGlobal(module: string, name: string): PyValue;
  /** Applies an allowed callable (REDUCE / NEWOBJ); throws for anything it does not know. */
  call(fn: PyValue, args: readonly PyValue[]): PyValue;
  /** Applies BUILD's state to an object; the default stores dict state in `PyDict.attrs`. */
  build?(obj: PyValue, state: PyValue): PyValue;
  /** Resolves a persistent id (PyTorch uses them for tensor storages). */
  persistentLoad?(pid: PyValue): PyValue;
}

/**
 * Result of {@link unpickle}: the value and the offset just after STOP (legacy
 * checkpoints hold several pickles in a row).
 *
 * @example
 * ```ts
 * const { value, end } = unpickle(bytes, 0, PLAIN_DATA_HOOKS);
 * ```
 */
export interface UnpickleResult {
  value: PyValue;
  end: number;
}

/**
 * What one pickle may cost, checked as it is read (before the work is done). A real checkpoint's
 * pickle stays far below every default.
 */
export interface PickleLimits {
  /** Opcodes executed. @defaultValue 50_000_000 */
  maxOpcodes: number;
  /** Memo entries. @defaultValue 10_000_000 */
  maxMemo: number;
  /** Nested MARKs (open tuples, lists, dicts being built). @defaultValue 1000 */
  maxDepth: number;
  /** Items of one list, tuple, dict or set. @defaultValue 10_000_000 */
  maxItems: number;
  /** Bytes of one integer (LONG1, LONG4, text INT/LONG). @defaultValue 65536 */
  maxIntBytes: number;
}

/**
 * The default {@link PickleLimits}.
 *
 * @example
 * ```ts
 * unpickle(bytes, 0, PLAIN_DATA_HOOKS, { ...DEFAULT_PICKLE_LIMITS, maxDepth: 10 });
 * ```
 */
export const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = Object.freeze({
  maxOpcodes: 50_000_000,
  maxMemo: 10_000_000,
  maxDepth: 1000,
  maxItems: 10_000_000,
  maxIntBytes: 65536,
});

function overLimit(what: string, limit: keyof PickleLimits, value: number, at: number): LimitError {
  return new LimitError(
    `Pickle limit exceeded at byte ${at}: ${what} (${value}, above the ${limit} limit). A checkpoint never needs this much; if the file is trusted, raise limits.${limit}.`,
  );
}

const MARK = Symbol('mark');

const OPNAMES: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

function asTuple(items: PyValue[]): readonly PyValue[] {
  return Object.freeze(items);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Decodes a little-endian two's complement integer (LONG1/LONG4); small ones become numbers.
 * Linear time: one hex string parsed once (shifting a BigInt per byte was quadratic).
 */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  const parts = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) parts[b.length - 1 - i] = HEX[b[i]];
  let v = BigInt(`0x${parts.join('')}`);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

function parseIntText(
  s: string,
  where: number,
  maxBytes = DEFAULT_PICKLE_LIMITS.maxIntBytes,
): number | bigint {
  // 2.41 decimal digits per byte: the same bound as the binary integers'.
  if (s.length > 2.41 * maxBytes + 2)
    throw overLimit(
      `an integer of ${s.length} digits`,
      'maxIntBytes',
      Math.ceil(s.length / 2.41),
      where,
    );
  const t = s.endsWith('L') ? s.slice(0, -1) : s;
  if (!/^[+-]?\d+$/.test(t)) throw badPickle(`invalid integer literal "${s}"`, where);
  const v = BigInt(t);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

function badPickle(what: string, at: number): CheckpointError {
  return new CheckpointError(
    `Invalid pickle: ${what} at byte ${at}. The file is damaged or is not a PyTorch checkpoint.`,
    'E_BAD_PICKLE',
  );
}

/**
 * Reads one pickle from `bytes` starting at `offset`, up to and including its STOP opcode.
 *
 * @example
 * ```ts
 * // pickle.dumps({'a': 1}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
 * const { value } = unpickle(bytes, 0, PLAIN_DATA_HOOKS);
 * (value as PyDict).get('a'); // 1
 * ```
 */
export function unpickle(
  bytes: Uint8Array,
  offset: number,
  hooks: UnpickleHooks,
  limits: Partial<PickleLimits> = {},
): UnpickleResult {
  const lim: PickleLimits = { ...DEFAULT_PICKLE_LIMITS, ...limits };
  let opcodes = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  let stack: (PyValue | typeof MARK)[] = [];
  const metastack: (PyValue | typeof MARK)[][] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number, what: string): void => {
    if (n < 0 || pos + n > bytes.length) {
      throw new CheckpointError(
        `Truncated pickle: ${what} needs ${n} more byte(s) at byte ${pos}, but the data ends at byte ${bytes.length}. The file was cut short (an interrupted download or save?).`,
        'E_TRUNCATED',
      );
    }
  };
  const u8 = (): number => {
    need(1, 'an opcode argument');
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2, 'a 2-byte argument');
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, 'a 4-byte argument');
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4, 'a 4-byte argument');
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8, 'an 8-byte length');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw badPickle(`length ${v} is too large`, pos - 8);
    return Number(v);
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) need(bytes.length - pos + 1, 'a newline-terminated argument');
    const s = latin1.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const text = (b: Uint8Array, at: number): string => {
    try {
      return utf8.decode(b);
    } catch (cause) {
      throw new CheckpointError(
        `Invalid pickle: string at byte ${at} is not valid UTF-8.`,
        'E_BAD_PICKLE',
        { cause },
      );
    }
  };
  const pop = (at: number): PyValue => {
    if (stack.length === 0) throw badPickle('stack underflow', at);
    const v = stack.pop()!;
    if (v === MARK) throw badPickle('unexpected MARK on the stack', at);
    return v;
  };
  const top = (at: number): PyValue => {
    const v = stack[stack.length - 1];
    if (stack.length === 0 || v === MARK) throw badPickle('stack underflow', at);
    return v;
  };
  const popMark = (at: number): PyValue[] => {
    const popped = stack;
    checkItems(popped.length, at);
    const prev = metastack.pop();
    if (!prev) throw badPickle('no MARK to pop to', at);
    stack = prev;
    if (popped.includes(MARK)) throw badPickle('nested MARK', at);
    return popped as PyValue[];
  };
  const put = (idx: number): void => {
    if (memo.size >= lim.maxMemo && !memo.has(idx))
      throw overLimit('too many memo entries', 'maxMemo', memo.size + 1, pos);
    memo.set(idx, top(pos));
  };
  const intBytes = (n: number, at: number): number => {
    if (n > lim.maxIntBytes) throw overLimit(`an integer of ${n} bytes`, 'maxIntBytes', n, at);
    return n;
  };
  const checkItems = (n: number, at: number): void => {
    if (n > lim.maxItems) throw overLimit(`a container of ${n} items`, 'maxItems', n, at);
  };
  const get = (idx: number, at: number): void => {
    if (!memo.has(idx)) throw badPickle(`memo entry ${idx} was never stored`, at);
    stack.push(memo.get(idx)!);
  };
  const setItems = (target: PyValue, items: PyValue[], at: number): void => {
    if (!(target instanceof PyDict))
      throw badPickle('SETITEM(S) on something that is not a dict', at);
    if (items.length % 2) throw badPickle('SETITEMS with an odd number of items', at);
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    checkItems(target.size, at);
  };
  const appendItems = (target: PyValue, values: PyValue[], at: number): void => {
    if (!Array.isArray(target) || Object.isFrozen(target))
      throw badPickle('APPEND(S) on something that is not a list', at);
    checkItems(target.length + values.length, at);
    // One push per item: push(...values) overflows the call stack (a RangeError) past ~100k.
    for (const v of values) (target as PyValue[]).push(v);
  };
  const build = hooks.build ?? defaultBuild;

  for (;;) {
    const at = pos;
    need(1, 'an opcode');
    if (++opcodes > lim.maxOpcodes) throw overLimit('too many opcodes', 'maxOpcodes', opcodes, at);
    const op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw badPickle(`unsupported pickle protocol ${bytes[pos - 1]}`, at);
        break;
      case 0x95: // FRAME: frames only group opcodes; the data is read in place
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(at), end: pos };
      case 0x28: // MARK
        if (metastack.length >= lim.maxDepth)
          throw overLimit('MARKs nested too deeply', 'maxDepth', metastack.length + 1, at);
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack[stack.length - 1] === MARK) popMark(at);
        else pop(at);
        break;
      case 0x31: // POP_MARK
        popMark(at);
        break;
      case 0x32: // DUP
        stack.push(top(at));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: {
        // INT (protocol 0; "01"/"00" are True/False)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, at, lim.maxIntBytes));
        break;
      }
      case 0x4c: // LONG (protocol 0)
        stack.push(parseIntText(line(), at, lim.maxIntBytes));
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(take(intBytes(u8(), at), 'LONG1 data')));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) throw badPickle('negative LONG4 length', at);
        stack.push(decodeLong(take(intBytes(n, at), 'LONG4 data')));
        break;
      }
      case 0x46: {
        // FLOAT (protocol 0)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) throw badPickle(`invalid float literal "${s}"`, at);
        stack.push(v);
        break;
      }
      case 0x47: // BINFLOAT: big-endian, unlike everything else in a pickle
        need(8, 'a float');
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x53: {
        // STRING (protocol 0, a quoted Python 2 str)
        const s = line();
        const q = s[0];
        if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q)
          throw badPickle('badly quoted STRING', at);
        stack.push(unescapePy(s.slice(1, -1)));
        break;
      }
      case 0x54: {
        // BINSTRING (Python 2 str; bytes read as latin-1 like Python 3's encoding='latin1')
        const n = i32();
        if (n < 0) throw badPickle('negative BINSTRING length', at);
        stack.push(latin1.decode(take(n, 'BINSTRING data')));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8(), 'SHORT_BINSTRING data')));
        break;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape)
        stack.push(
          line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string, b: string) =>
            String.fromCodePoint(parseInt(a ?? b, 16)),
          ),
        );
        break;
      case 0x58: // BINUNICODE
        stack.push(text(take(u32(), 'BINUNICODE data'), at));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(u8(), 'SHORT_BINUNICODE data'), at));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64(), 'BINUNICODE8 data'), at));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32(), 'BINBYTES data').slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8(), 'SHORT_BINBYTES data').slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64(), 'BINBYTES8 data').slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark(at), at);
        stack.push(d);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c:
        {
          // LIST
          const l = popMark(at);
          stack.push(l);
        }
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(asTuple([]));
        break;
      case 0x74: // TUPLE
        {
          // popMark reassigns `stack`, so take the items before naming `stack.push`.
          const t = asTuple(popMark(at));
          stack.push(t);
        }
        break;
      case 0x85: // TUPLE1
        stack.push(asTuple([pop(at)]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop(at);
        const a = pop(at);
        stack.push(asTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop(at);
        const b = pop(at);
        const a = pop(at);
        stack.push(asTuple([a, b, c]));
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set<PyValue>());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark(at);
        const s = top(at);
        if (!(s instanceof Set)) throw badPickle('ADDITEMS on something that is not a set', at);
        for (const v of items) s.add(v);
        checkItems(s.size, at);
        break;
      }
      case 0x91: // FROZENSET
        {
          const fs = new Set<PyValue>(popMark(at));
          stack.push(fs);
        }
        break;
      case 0x61: {
        // APPEND
        const v = pop(at);
        appendItems(top(at), [v], at);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark(at);
        appendItems(top(at), items, at);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop(at);
        const k = pop(at);
        setItems(top(at), [k, v], at);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark(at);
        setItems(top(at), items, at);
        break;
      }
      case 0x70: // PUT
        put(Number(parseIntText(line(), at, lim.maxIntBytes)));
        break;
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x67: // GET
        get(Number(parseIntText(line(), at, lim.maxIntBytes)), at);
        break;
      case 0x68: // BINGET
        get(u8(), at);
        break;
      case 0x6a: // LONG_BINGET
        get(u32(), at);
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(at);
        const module = pop(at);
        if (typeof module !== 'string' || typeof name !== 'string')
          throw badPickle('STACK_GLOBAL needs two strings', at);
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop(at);
        const fn = pop(at);
        if (!Array.isArray(args)) throw badPickle('REDUCE arguments are not a tuple', at);
        stack.push(hooks.call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only allowed classes reach here
        const args = pop(at);
        const cls = pop(at);
        if (!Array.isArray(args)) throw badPickle('NEWOBJ arguments are not a tuple', at);
        stack.push(hooks.call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop(at);
        const args = pop(at);
        const cls = pop(at);
        if (!Array.isArray(args)) throw badPickle('NEWOBJ_EX arguments are not a tuple', at);
        if (kwargs instanceof PyDict && kwargs.size)
          throw new UnsafePickleError(
            `NEWOBJ_EX with keyword arguments is not supported (at byte ${at}); refused for safety.`,
          );
        stack.push(hooks.call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop(at);
        const obj = pop(at);
        stack.push(build(obj, state));
        break;
      }
      case 0x50: {
        // PERSID
        const pid = line();
        if (!hooks.persistentLoad) throw badPickle('persistent id without a persistent loader', at);
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop(at);
        if (!hooks.persistentLoad) throw badPickle('persistent id without a persistent loader', at);
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      default:
        if (OPNAMES[op]) {
          throw new UnsafePickleError(
            `Pickle opcode ${OPNAMES[op]} (at byte ${at}) is refused for safety: it can construct arbitrary Python objects, which a state_dict never needs.`,
          );
        }
        throw badPickle(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`, at);
    }
  }
}

/** BUILD without hooks: dict state on a dict becomes attributes (e.g. `_metadata`). */
function defaultBuild(obj: PyValue, state: PyValue): PyValue {
  if (obj instanceof PyDict && state instanceof PyDict) {
    for (const [k, v] of state) if (typeof k === 'string') obj.attrs.set(k, v);
    return obj;
  }
  if (obj instanceof PyDict && state === null) return obj;
  throw new UnsafePickleError(`BUILD on a ${describe(obj)} is not supported; refused for safety.`);
}

function unescapePy(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt0])/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * A short description of a value for error messages.
 *
 * @example
 * ```ts
 * describe(Object.freeze([1])); // 'tuple'
 * ```
 */
export function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return v.qualifiedName;
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Set) return 'set';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  return typeof v;
}

/**
 * A short, bounded rendering of a value for error messages: at most `budget` characters and
 * about as many visited items, whatever the value's size or sharing (a tuple graph with shared
 * children can stand for 2^40 nodes in a few hundred bytes of pickle).
 *
 * @example
 * ```ts
 * preview(Object.freeze(['a', 1])); // "('a', 1)"
 * ```
 */
export function preview(v: PyValue, budget = 80): string {
  let out = '';
  // Iterative (depth costs no call stack), and it stops once `budget` characters are out.
  const todo: (PyValue | Raw)[] = [v];
  while (todo.length && out.length < budget) {
    const x = todo.pop()!;
    if (x instanceof Raw) out += x.text;
    else if (typeof x === 'string') out += `'${x.slice(0, budget)}'`;
    else if (typeof x === 'number' || typeof x === 'boolean') out += String(x);
    else if (typeof x === 'bigint')
      out +=
        x.toString(16).length > budget
          ? `<int of ${x.toString(16).length * 4} bits>`
          : x.toString();
    else if (x === null) out += 'None';
    else if (Array.isArray(x)) {
      const tuple = Object.isFrozen(x);
      const n = Math.min(x.length, budget);
      const parts: (PyValue | Raw)[] = [new Raw(tuple ? '(' : '[')];
      for (let i = 0; i < n; i++) parts.push(...(i ? [new Raw(', ')] : []), x[i]);
      parts.push(
        new Raw(x.length > n ? ', ...' : ''),
        new Raw(tuple ? (x.length === 1 ? ',)' : ')') : ']'),
      );
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]);
    } else out += `<${describe(x)}${x instanceof Map || x instanceof Set ? ` of ${x.size}` : ''}>`;
  }
  return out.length > budget || todo.length ? `${out.slice(0, budget)}...` : out;
}

class Raw {
  constructor(readonly text: string) {}
}

/**
 * Hooks that refuse every global: a pickle of plain data (dicts, lists, numbers,
 * strings) still loads. Useful on its own and as the base of stricter hooks.
 *
 * @example
 * ```ts
 * unpickle(bytes, 0, PLAIN_DATA_HOOKS); // throws UnsafePickleError on `cos\nsystem\n`
 * ```
 */
export const PLAIN_DATA_HOOKS: UnpickleHooks = {
  findGlobal: (module, name) => refuseGlobal(module, name),
  call: (fn) => refuseCall(fn),
};

/**
 * Throws the {@link UnsafePickleError} for a global that is not on the allow-list.
 *
 * @example
 * ```ts
 * refuseGlobal('os', 'system'); // throws: Refused to load global "os.system" ...
 * ```
 */
export function refuseGlobal(module: string, name: string, allowed?: readonly string[]): never {
  const list = allowed?.length ? ` Allowed globals: ${allowed.join(', ')}.` : '';
  throw new UnsafePickleError(
    `Refused to load global "${module}.${name}" from the pickle: it is not on the allow-list and is refused for safety (loading it could run code).${list} Re-save the checkpoint as a plain state_dict of tensors.`,
  );
}

/**
 * Throws for a call the dispatcher does not know.
 *
 * @example
 * ```ts
 * refuseCall(new PyGlobal('torch', 'FloatStorage')); // throws UnsafePickleError
 * ```
 */
export function refuseCall(fn: PyValue): never {
  throw new UnsafePickleError(
    `Refused to call ${describe(fn)} while unpickling: only tensor and OrderedDict constructors are supported; refused for safety.`,
  );
}
