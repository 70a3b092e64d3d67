// Small seeded random sources, so every part of the example is reproducible from an integer seed.

/** Mulberry32: a 32-bit-state generator; fast and good enough for simulation and search, not for cryptography. Returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One standard normal draw by Box-Muller (the second variate is dropped to keep the function stateless). */
export function gaussian(rand: () => number): number {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Mixes integers into one 32-bit seed, so derived streams (per tree, per call) do not overlap the parent stream. */
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
