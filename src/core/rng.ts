/**
 * A small seedable random number generator: xoshiro128** (Blackman & Vigna, 2018) seeded through
 * splitmix32. 128 bits of state, period 2^128 - 1, fast in plain JS (32-bit integer ops only).
 * The state is four uint32s that can be saved with {@link Rng.getState} and restored with
 * {@link Rng.setState}, so a resumed training run draws exactly the crops, flips and shuffles it
 * would have drawn without the interruption.
 */

/** The serialisable state of an {@link Rng}: four uint32 words, not all zero. */
export type RngState = [number, number, number, number];

const TWO_POW_32 = 0x1_0000_0000;

/** splitmix32 step (Vigna's splitmix64 constants folded to 32 bits, as in the xoshiro reference seeding advice). */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function checkState(state: readonly number[]): RngState {
  if (
    !Array.isArray(state) ||
    state.length !== 4 ||
    !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)
  ) {
    throw new TypeError(
      `Invalid RNG state ${JSON.stringify(state)}: expected an array of four uint32 integers.`,
    );
  }
  if (state.every((w) => w === 0))
    throw new RangeError(
      'Invalid RNG state: all four words are zero (xoshiro128** would only ever return 0).',
    );
  return [state[0], state[1], state[2], state[3]];
}

/**
 * xoshiro128** generator.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const saved = rng.getState();
 * const x = rng.float();
 * rng.setState(saved);
 * rng.float() === x; // true
 * ```
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * @param seed - any integer (only its low 32 bits matter) or a saved {@link RngState}.
   */
  constructor(seed: number | RngState = 0) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed))
        throw new RangeError(`RNG seed must be an integer, got ${seed}.`);
      const next = splitmix32(seed);
      // splitmix32 never yields four zero words in a row, so the state is valid.
      this.setState([next(), next(), next(), next()]);
    } else {
      this.setState(seed);
    }
  }

  /**
   * Next uint32 in [0, 2^32).
   *
   * @example
   * ```ts
   * new Rng(1).uint32(); // an integer from 0 to 4294967295
   * ```
   */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Uniform float in [0, 1) with 32 bits of resolution.
   *
   * @example
   * ```ts
   * const u = new Rng(7).float(); // 0 <= u < 1
   * ```
   */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /**
   * Unbiased uniform integer in [0, n) (rejection sampling), for 1 <= n <= 2^32.
   *
   * @example
   * ```ts
   * const die = new Rng(3).int(6) + 1;
   * ```
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32)
      throw new RangeError(`Rng.int(n) needs an integer n from 1 to 2^32, got ${n}.`);
    // Values below `threshold` would make the low residues more likely; redraw them.
    const threshold = (TWO_POW_32 - n) % n;
    for (;;) {
      const r = this.uint32();
      if (r >= threshold) return r % n;
    }
  }

  /**
   * Shuffles `items` in place (Fisher-Yates) and returns it.
   *
   * @example
   * ```ts
   * const order = new Rng(0).shuffle([0, 1, 2, 3]);
   * ```
   */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /**
   * A copy of the current state (JSON-serialisable).
   *
   * @example
   * ```ts
   * localStorage.setItem('rng', JSON.stringify(rng.getState()));
   * ```
   */
  getState(): RngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /**
   * Restores a state from {@link Rng.getState}; throws a `TypeError`/`RangeError` for an invalid one.
   *
   * @example
   * ```ts
   * rng.setState(JSON.parse(localStorage.getItem('rng')!));
   * ```
   */
  setState(state: readonly number[]): void {
    const [a, b, c, d] = checkState(state);
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
  }

  /**
   * An independent generator that continues from the same state.
   *
   * @example
   * ```ts
   * const peek = rng.clone().float(); // rng itself does not advance
   * ```
   */
  clone(): Rng {
    return new Rng(this.getState());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
