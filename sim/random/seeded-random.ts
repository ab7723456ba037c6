import { createHash } from 'node:crypto';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

/**
 * Randomness for one purpose of one run, derived from the run seed and a stream name (usually a device id), so
 * device i draws the same numbers whichever worker, process or machine hosts it.
 */
export class SeededRandom {
  readonly #generator: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number, stream: string) {
    const digest = createHash('sha256').update(`${seed}\u0000${stream}`).digest();
    this.#generator = xoroshiro128plus(digest.readInt32LE(0));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.#generator);
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Exponentially distributed with the given mean (memoryless gaps between random events). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** `count` random bytes (serial numbers). */
  bytes(count: number): Buffer {
    const out = Buffer.alloc(count);
    for (let i = 0; i < count; i += 1) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}
