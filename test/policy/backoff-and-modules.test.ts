import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backoff } from '../../sim/policy/backoff.js';
import { loadPolicyModule, userRenewalPolicy } from '../../sim/policy/policy-module.js';
import { renewalWindow } from '../../sim/policy/renewal-policy.js';
import { SeededRandom } from '../../sim/random/seeded-random.js';
import { DAY } from '../support/time.js';

const SECOND = 1000;
const random = () => new SeededRandom(3, 'device-00001');
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url));
const source = (name: string) => ({ file: fixture(name), cohortIndex: 0, cohort: 'qa' });

describe('reconnect and retry backoff', () => {
  it('exponential without jitter doubles from initial up to max', () => {
    const delay = backoff({ policy: 'exponential', initial: SECOND, max: 120 * SECOND });
    expect([1, 2, 3, 4, 7, 8, 20].map((n) => delay(n, random(), undefined))).toEqual([1, 2, 4, 8, 64, 120, 120].map((s) => s * SECOND));
  });

  it('fixed always waits initial', () => {
    const delay = backoff({ policy: 'fixed', initial: 5 * SECOND, max: 120 * SECOND });
    expect([1, 5, 50].map((n) => delay(n, random(), undefined))).toEqual([5000, 5000, 5000]);
  });

  it('full jitter stays between 1 ms and the exponential ceiling', () => {
    const delay = backoff({ policy: 'full-jitter', initial: SECOND, max: 120 * SECOND });
    const r = random();
    for (let attempt = 1; attempt < 30; attempt += 1) {
      const d = delay(attempt, r, undefined);
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThanOrEqual(Math.min(120, 2 ** (attempt - 1)) * SECOND);
    }
  });

  it('decorrelated jitter draws between initial and three times the previous delay, capped', () => {
    const delay = backoff({ policy: 'decorrelated', initial: SECOND, max: 120 * SECOND });
    const r = random();
    let previous: number | undefined;
    for (let attempt = 1; attempt < 30; attempt += 1) {
      const d = delay(attempt, r, previous);
      expect(d).toBeGreaterThanOrEqual(SECOND);
      expect(d).toBeLessThanOrEqual(Math.min(120 * SECOND, (previous ?? SECOND) * 3));
      previous = d;
    }
  });

  it('the same seed and device draw the same delays', () => {
    const delay = backoff({ policy: 'full-jitter', initial: SECOND, max: 120 * SECOND });
    const a = random();
    const b = random();
    expect([1, 2, 3, 4, 5].map((n) => delay(n, a, undefined))).toEqual([1, 2, 3, 4, 5].map((n) => delay(n, b, undefined)));
  });
});

describe('a renewal window', () => {
  it('renews uniformly inside the window of the lifetime', () => {
    const policy = renewalWindow({ from: 0.6, to: 0.7, retry: { initial: SECOND, max: DAY } });
    const r = random();
    for (let i = 0; i < 100; i += 1) {
      const at = policy.renewAt({ notBefore: 0, notAfter: 100 * DAY }, r);
      expect(at).toBeGreaterThanOrEqual(60 * DAY);
      expect(at).toBeLessThanOrEqual(70 * DAY);
    }
  });
});

describe('a team\'s own renewal policy module', () => {
  it('loads a TypeScript module with its own imports and uses its renewAt and retryDelay', async () => {
    const factory = await loadPolicyModule(source('weekly-window.ts'));
    const forDevice = userRenewalPolicy(factory, {
      source: source('weekly-window.ts'),
      options: { daysBeforeExpiry: 10 },
      budgetMs: SECOND,
      retry: { policy: 'fixed', initial: SECOND, max: SECOND },
    });
    const policy = forDevice('device-00001');
    const at = policy.renewAt({ notBefore: 0, notAfter: 30 * DAY }, random());
    expect(at).toBeGreaterThanOrEqual(20 * DAY);
    expect(at).toBeLessThan(21 * DAY);
    expect(policy.retryDelay(3, random())).toBe(180_000);
  });

  it('draws from the device\'s seeded randomness, so the same device renews at the same time every run', async () => {
    const factory = await loadPolicyModule(source('weekly-window.ts'));
    const make = () => userRenewalPolicy(factory, { source: source('weekly-window.ts'), options: {}, budgetMs: SECOND, retry: { policy: 'fixed', initial: 1, max: 1 } })('d');
    const validity = { notBefore: 0, notAfter: 30 * DAY };
    expect(make().renewAt(validity, random())).toBe(make().renewAt(validity, random()));
  });

  it('refuses a module whose default export is not a factory, saying what was expected', async () => {
    await expect(loadPolicyModule(source('broken.mjs'))).rejects.toThrow(
      /expected a default export \(or an export "createRenewalPolicy"\) that is a function/,
    );
  });

  it('refuses a module that does not compile, naming the file', async () => {
    await expect(loadPolicyModule(source('does-not-exist.ts'))).rejects.toThrow(/renewal policy module .*does-not-exist\.ts/);
  });
});
