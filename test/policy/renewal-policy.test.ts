import { describe, expect, it } from 'vitest';
import { fractionOfLifetime } from '../../sim/policy/renewal-policy.js';
import { SeededRandom } from '../../sim/random/seeded-random.js';
import { DAY, MINUTE } from '../support/time.js';

const NOT_BEFORE = Date.parse('2030-01-01T00:00:00Z');
const RETRY = { initial: 10 * MINUTE, max: 2 * DAY };

const validity = (lifetime: number) => ({ notBefore: NOT_BEFORE, notAfter: NOT_BEFORE + lifetime });
const random = (stream = 'device-00001') => new SeededRandom(42, stream);

describe('fractionOfLifetime renewAt', () => {
  it.each([
    [2 / 3, 90 * DAY, 60 * DAY],
    [0.8, 365 * DAY, 292 * DAY],
    [0.5, 24 * 3_600_000, 12 * 3_600_000],
    [1, 30 * DAY, 30 * DAY],
    [2 / 3, 1_000, 666],
  ])('without jitter, renews at %d of a %d ms lifetime, %d ms after notBefore', (at, lifetime, after) => {
    const policy = fractionOfLifetime({ at, jitter: 0, retry: RETRY });
    expect(policy.renewAt(validity(lifetime), random())).toBe(NOT_BEFORE + after);
  });

  it('without jitter, renewAt draws no random number', () => {
    const used = random();
    fractionOfLifetime({ at: 2 / 3, jitter: 0, retry: RETRY }).renewAt(validity(90 * DAY), used);
    expect(used.next()).toBe(random().next());
  });

  it('with jitter 0.05 around 2/3, every renewal falls within +-5% of the lifetime and they spread over that band', () => {
    const lifetime = 90 * DAY;
    const policy = fractionOfLifetime({ at: 2 / 3, jitter: 0.05, retry: RETRY });
    const low = NOT_BEFORE + Math.floor(lifetime * (2 / 3 - 0.05));
    const high = NOT_BEFORE + Math.floor(lifetime * (2 / 3 + 0.05));
    const times = Array.from({ length: 500 }, (_, i) => policy.renewAt(validity(lifetime), random(`device-${i}`)));
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(low);
      expect(t).toBeLessThanOrEqual(high);
      expect(Number.isInteger(t)).toBe(true);
    }
    const band = high - low;
    expect(Math.min(...times) - low).toBeLessThan(0.05 * band);
    expect(high - Math.max(...times)).toBeLessThan(0.05 * band);
  });

  it('renewAt is relative to notBefore', () => {
    const policy = fractionOfLifetime({ at: 0.5, jitter: 0, retry: RETRY });
    expect(policy.renewAt({ notBefore: 1_000, notAfter: 3_000 }, random())).toBe(2_000);
  });
});

describe('fractionOfLifetime retryDelay', () => {
  const policy = fractionOfLifetime({ at: 2 / 3, jitter: 0, retry: RETRY });
  const draws = (attempt: number, n = 300): number[] => {
    const r = random(`retry-${attempt}`);
    return Array.from({ length: n }, () => policy.retryDelay(attempt, r));
  };

  it('the first retry waits between 1 ms and the initial delay (AWS CRT full jitter)', () => {
    const first = draws(1);
    expect(Math.max(...first)).toBeLessThanOrEqual(RETRY.initial);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(1);
    expect(Math.min(...first)).toBeLessThan(0.1 * RETRY.initial);
  });

  it.each([2, 3, 5, 8, 9, 12, 40, 41, 1000])('retry %d waits between 1 ms and min(max, initial * 2^(attempt - 1))', (attempt) => {
    const ceiling = Math.min(RETRY.max, RETRY.initial * 2 ** (attempt - 1));
    for (const d of draws(attempt)) {
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThanOrEqual(ceiling);
      expect(Number.isInteger(d)).toBe(true);
    }
  });

  it('the largest delay drawn grows with the attempt, then stops at max', () => {
    const largest = [2, 3, 4, 5, 6, 7, 8, 9, 10, 20].map((a) => Math.max(...draws(a)));
    // Ceilings double from 20 min (attempt 2) to 2560 min (attempt 9); from attempt 10 on, the 2-day cap (2880 min) holds.
    for (let i = 1; i < 8; i += 1) expect(largest[i] ?? 0).toBeGreaterThan(largest[i - 1] ?? 0);
    for (const l of largest.slice(8)) {
      expect(l).toBeLessThanOrEqual(RETRY.max);
      expect(l).toBeGreaterThan(0.9 * RETRY.max);
    }
  });

  it('delays are full jitter: a late retry is not always near the ceiling', () => {
    const delays = draws(20);
    expect(Math.min(...delays)).toBeLessThan(0.1 * RETRY.max);
  });

  it('an attempt of 0 or less waits no more than the initial delay', () => {
    expect(policy.retryDelay(0, random())).toBeLessThanOrEqual(RETRY.initial);
    expect(policy.retryDelay(-3, random())).toBeLessThanOrEqual(RETRY.initial);
  });
});

describe('fractionOfLifetime determinism', () => {
  it('the same SeededRandom seed and stream give the same renewals and retries', () => {
    const policy = fractionOfLifetime({ at: 0.8, jitter: 0.1, retry: RETRY });
    const run = (r: SeededRandom) => [
      policy.renewAt(validity(365 * DAY), r),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((a) => policy.retryDelay(a, r)),
      policy.renewAt(validity(90 * DAY), r),
    ];
    expect(run(new SeededRandom(7, 'device-00042'))).toEqual(run(new SeededRandom(7, 'device-00042')));
    expect(run(new SeededRandom(7, 'device-00042'))).not.toEqual(run(new SeededRandom(7, 'device-00043')));
    expect(run(new SeededRandom(7, 'device-00042'))).not.toEqual(run(new SeededRandom(8, 'device-00042')));
  });
});
