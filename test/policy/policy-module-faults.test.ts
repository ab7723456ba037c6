import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guardedCall } from '../../sim/policy/guarded-call.js';
import { loadPolicyModule, userRenewalPolicy } from '../../sim/policy/policy-module.js';
import { PolicyModuleError, policyModuleFailureIn } from '../../sim/policy/policy-module-error.js';
import { PolicyProbeInterrupted, probePolicyModule } from '../../sim/policy/policy-probe.js';
import { SeededRandom } from '../../sim/random/seeded-random.js';
import { DAY } from '../support/time.js';

// The probe runs dist/sim/policy/policy-probe-worker.js: `npm run build` first.
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url));
const source = (name: string) => ({ file: fixture(name), cohortIndex: 2, cohort: 'qa' });
const certificate = { notBefore: Date.UTC(2030, 0, 1), notAfter: Date.UTC(2030, 0, 31) };
const retry = { policy: 'fixed', initial: 60_000, max: 60_000 } as const;
// Faulty modules get a short budget (each test then takes about that long); modules that behave a generous one, so
// that a busy machine cannot make a quick call look like an overrun.
const BUDGET_MS = 300;
const GENEROUS_MS = 10_000;

async function policyOf(name: string, options: Record<string, unknown> = {}, budgetMs = BUDGET_MS) {
  const factory = await loadPolicyModule(source(name));
  return userRenewalPolicy(factory, { source: source(name), options, budgetMs, retry });
}

function renewAtError(policy: Awaited<ReturnType<typeof policyOf>>, device = 'device-00007'): PolicyModuleError {
  try {
    policy(device).renewAt(certificate, new SeededRandom(1, device));
  } catch (error) {
    if (error instanceof PolicyModuleError) return error;
    throw error;
  }
  throw new Error('renewAt returned');
}

const probe = (name: string, options: Record<string, unknown> = {}, budgetMs = BUDGET_MS) =>
  probePolicyModule({ source: source(name), options, budgetMs, retry, deviceId: 'device-00001', seed: 3, certificate });

describe('a renewal module called during a run', () => {
  it('that never returns from renewAt is stopped after its budget, naming the module, the function, the device and the budget', async () => {
    const error = renewAtError(await policyOf('loops-in-renew-at.mjs'));
    expect(error.message).toBe(
      `fleet.cohorts[2].renewal.module: renewal policy module ${fixture('loops-in-renew-at.mjs')}: renewAt for device-00007 (cohort qa) did not return within 300 ms (renewal.budget)`,
    );
  });

  it('whose factory never returns is stopped after its budget', async () => {
    const factory = await loadPolicyModule(source('loops-in-factory.mjs'));
    expect(() => userRenewalPolicy(factory, { source: source('loops-in-factory.mjs'), options: {}, budgetMs: BUDGET_MS, retry })).toThrow(
      /renewal policy module .*loops-in-factory\.mjs: the factory \(its default export\) did not return within 300 ms \(renewal\.budget\)$/,
    );
  });

  it('that throws is reported with what it threw, on one line and without a stack', async () => {
    const error = renewAtError(await policyOf('throws.mjs', {}, GENEROUS_MS));
    expect(error.message).toMatch(/renewAt for device-00007 \(cohort qa\) threw TypeError: no renewal date known for a certificate ending \d+$/);
    expect(error.stack).toBe(error.message);
  });

  it.each([
    ['string', 'the string "soon"'],
    ['nan', 'NaN'],
    ['infinity', 'Infinity'],
    ['promise', 'a Promise (renewal functions must be synchronous)'],
    ['object', 'an object'],
    ['before-not-before', String(certificate.notBefore - DAY)],
  ])('that answers nonsense (%s) is refused, saying what it returned and what was expected', async (returns, described) => {
    const error = renewAtError(await policyOf('returns-nonsense.ts', { returns }, GENEROUS_MS));
    expect(error.message).toContain(`renewAt for device-00007 (cohort qa) returned ${described} for a certificate valid 2030-01-01T00:00:00.000Z to 2030-01-31T00:00:00.000Z`);
    expect(error.message).toContain(`expected a device-clock time in ms, a finite number from the certificate's notBefore (${certificate.notBefore})`);
  });

  it('whose retryDelay is negative is refused, naming the attempt', async () => {
    const policy = (await policyOf('returns-nonsense.ts', { returns: 'negative-delay' }, GENEROUS_MS))('device-00002');
    expect(() => policy.retryDelay(3, new SeededRandom(1, 'device-00002'))).toThrow(
      /retryDelay\(3\) for device-00002 \(cohort qa\) returned -1; expected a delay in ms, a finite number from 1 to/,
    );
  });

  it('that behaves keeps answering through the guard, the same as called directly', async () => {
    const policy = (await policyOf('misbehaves-for-one-device.mjs', { device: 'another' }, GENEROUS_MS))('device-00001');
    expect(policy.renewAt(certificate, new SeededRandom(1, 'device-00001'))).toBe(certificate.notAfter - 10 * DAY);
  });
});

describe('the guard around each call', () => {
  it('stops a loop that swallows every exception', () => {
    const outcome = guardedCall(() => {
      for (;;) {
        try {
          throw new Error('again');
        } catch {
          // keep going
        }
      }
    }, 50);
    expect(outcome).toEqual({ kind: 'overran' });
  });

  it('passes through what the call returned or threw', () => {
    expect(guardedCall(() => 42, GENEROUS_MS)).toEqual({ kind: 'returned', value: 42 });
    const thrown = new RangeError('no');
    expect(guardedCall(() => {
      throw thrown;
    }, GENEROUS_MS)).toEqual({ kind: 'threw', error: thrown });
  });
});

describe('checking a renewal module in a throwaway worker', () => {
  it('answers for a module that behaves', async () => {
    await expect(probe('misbehaves-for-one-device.mjs', { device: 'another' }, GENEROUS_MS)).resolves.toEqual({ renewAt: certificate.notAfter - 10 * DAY, retryDelay: 60_000 });
  });

  it('ends a module that never finishes importing after ten budgets', async () => {
    await expect(probe('loops-at-import.mjs')).rejects.toThrow(
      new PolicyModuleError(source('loops-at-import.mjs'), 'did not finish importing within 3000 ms (ten times renewal.budget)'),
    );
  }, 60_000);

  it('refuses a module that does not compile, with the line and column', async () => {
    await expect(probe('syntax-error.ts')).rejects.toThrow(/renewal policy module .*syntax-error\.ts: Unexpected "}" \(line 7, column 3\)$/);
  });

  it.each([
    ['loops-in-factory.mjs', 'the factory (its default export) did not return within 300 ms (renewal.budget)'],
    ['loops-in-renew-at.mjs', 'renewAt for device-00001 (cohort qa) did not return within 300 ms (renewal.budget)'],
    ['broken.mjs', 'expected a default export (or an export "createRenewalPolicy") that is a function'],
  ])('refuses %s, saying why', async (name, detail) => {
    await expect(probe(name)).rejects.toThrow(new PolicyModuleError(source(name), detail));
  }, 60_000);

  it('stops at once on Ctrl-C (the abort signal), however long the module would still take', async () => {
    const controller = new AbortController();
    const checking = probePolicyModule(
      { source: source('loops-at-import.mjs'), options: {}, budgetMs: 60_000, retry, deviceId: 'device-00001', seed: 3, certificate },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 200);
    await expect(checking).rejects.toBeInstanceOf(PolicyProbeInterrupted);
  }, 60_000);
});

describe('a module failure that crossed a worker and a process', () => {
  it('is found in the failure message and read back as its one line', () => {
    const line = 'fleet.cohorts[1].renewal.module: renewal policy module /x/p.ts: renewAt for device-00003 (cohort qa) threw Error: no';
    expect(policyModuleFailureIn(`device process 0 failed: device worker 1 failed: ${line}`)).toBe(line);
    expect(policyModuleFailureIn(`device worker 1 failed: Error: ${line}\n    at renewAt (file:///x/p.mjs:3:9)`)).toBe(line);
    expect(policyModuleFailureIn('device process 0 exited unexpectedly (SIGKILL)')).toBeUndefined();
  });
});
