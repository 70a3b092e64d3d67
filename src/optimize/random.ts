// Seeded random numbers. A study's proposals must be reproducible from an integer seed and resumable from
// a saved study, so the generator's whole state is one 32-bit integer that JSON carries exactly.

/** One step of Mulberry32: the next state and a uniform draw in [0, 1). Fast and good enough for search, not for cryptography. */
function step(state: number): [next: number, uniform: number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [next, ((t ^ (t >>> 14)) >>> 0) / 4294967296];
}

/** A stream of uniforms in [0, 1) from a seed (Mulberry32), for code that wants a plain function. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const [next, u] = step(state);
    state = next;
    return u;
  };
}

/** One standard normal draw by Box-Muller; the second variate is dropped, so the function keeps no state. */
export function gaussian(uniform: () => number): number {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  const u = 1 - uniform();
  const v = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Mixes integers into one 32-bit seed, so that derived streams do not overlap their parent's. */
export function mixSeed(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** A seeded generator whose state can be saved (`state`) and restored (`SeededRandom.fromState`). */
export class SeededRandom {
  private current: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`a seed must be a whole number (got ${String(seed)})`);
    this.current = mixSeed(seed);
  }

  /** A generator that continues from a saved `state`. */
  static fromState(state: number): SeededRandom {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) {
      throw new RangeError(`a generator's state is a whole number in [0, 2^32) (got ${String(state)}): pass the \`state\` a generator gave`);
    }
    const random = new SeededRandom(0);
    random.current = state;
    return random;
  }

  get state(): number {
    return this.current;
  }

  /** A uniform draw in [0, 1). */
  uniform(): number {
    const [next, u] = step(this.current);
    this.current = next;
    return u;
  }

  /** A standard normal draw. */
  normal(): number {
    return gaussian(() => this.uniform());
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
}
