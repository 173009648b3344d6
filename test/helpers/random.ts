/** Seeded randomness for property-style tests: a failing case is reproduced from its seed. */

/** A deterministic PRNG (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An integer in [minimum, maximum] (both included). */
export function randomInteger(next: () => number, minimum: number, maximum: number): number {
  return minimum + Math.floor(next() * (maximum - minimum + 1));
}

/** One of `items`. */
export function randomItem<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new RangeError("randomItem needs at least one item");
  return item;
}

/** `text` cut into pieces of 1…`largest` characters at random points. */
export function randomPieces(next: () => number, text: string, largest: number): string[] {
  const pieces: string[] = [];
  for (let offset = 0; offset < text.length; ) {
    const size = randomInteger(next, 1, largest);
    pieces.push(text.slice(offset, offset + size));
    offset += size;
  }
  return pieces;
}
