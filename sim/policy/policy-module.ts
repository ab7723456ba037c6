import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { SeededRandom } from '../random/seeded-random.js';
import { backoff, type BackoffKind } from './backoff.js';
import { describeThrown, describeValue, guardedCall } from './guarded-call.js';
import { PolicyModuleError, type PolicySource } from './policy-module-error.js';
import type { RenewalPolicy } from './renewal-policy.js';

/**
 * A team's own renewal logic, as a JavaScript or TypeScript module the scenario names (`renewal.module`). It is how
 * a QA team tests ITS rotation logic against certfleet's fleet. The module's default export (or its export
 * `createRenewalPolicy`) is a factory:
 *
 * ```ts
 * export default function createRenewalPolicy(options: Record<string, unknown>): {
 *   // The device-clock reading (ms) at which to renew this certificate: not before its notBefore.
 *   renewAt(certificate: { notBefore: number; notAfter: number }, context: PolicyContext): number;
 *   // Optional: wait this long (ms, at least 1) after the attempt-th consecutive failed rotation.
 *   retryDelay?(attempt: number, context: PolicyContext): number;
 * }
 * ```
 *
 * Both are synchronous. `context.random()` draws from the device's own seeded stream, so a run stays reproducible
 * from its seed. Every call (the factory, renewAt, retryDelay) must return within the cohort's `renewal.budget`
 * (default 1 s), and importing the module within ten times that; a module that throws, returns anything else or
 * overruns stops the run as bad input, naming the module, the function and the device.
 */
export interface PolicyContext {
  /** Uniform in [0, 1), from the device's seeded randomness. */
  random(): number;
  deviceId: string;
  cohort: string;
}

export interface UserRenewalPolicy {
  renewAt(certificate: { notBefore: number; notAfter: number }, context: PolicyContext): number;
  retryDelay?(attempt: number, context: PolicyContext): number;
}

export type UserPolicyFactory = (options: Record<string, unknown>) => UserRenewalPolicy;

/** Each call into a module gets this long unless the cohort says otherwise (`renewal.budget`). */
export const DEFAULT_CALL_BUDGET_MS = 1_000;
/** Importing a module (evaluating its top level and its bundled imports) gets this many call budgets. */
export const IMPORT_BUDGETS = 10;
/** The largest time value a JavaScript Date holds (ECMA-262 21.4.1.22): anything later is not a time. */
const MAX_TIME_MS = 8.64e15;

/** A module as one cohort uses it. */
export interface PolicyModuleSettings {
  source: PolicySource;
  options: Record<string, unknown>;
  /** Wall-clock milliseconds each call may take. */
  budgetMs: number;
}

/** Compiles (TypeScript or JavaScript, with its imports bundled) a policy module into one ES module file; returns its path. */
export async function compilePolicyModule(source: PolicySource): Promise<string> {
  let code: string;
  try {
    const result = await build({ entryPoints: [source.file], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    code = result.outputFiles[0]?.text ?? '';
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    const where = first?.location ? ` (line ${first.location.line}, column ${first.location.column + 1})` : '';
    throw new PolicyModuleError(source, first ? `${first.text}${where}` : (error as Error).message);
  }
  const compiled = join(mkdtempSync(join(tmpdir(), 'certfleet-policy-')), 'policy.mjs');
  writeFileSync(compiled, code);
  return compiled;
}

/**
 * Imports a compiled module and finds its factory. Its top level runs here, unguarded: the run loads every module
 * first in a throwaway worker with a budget (policy-probe.ts), so a module that does not finish importing never
 * reaches a device worker.
 */
export async function importPolicyFactory(compiled: string, source: PolicySource): Promise<UserPolicyFactory> {
  let exports: { default?: unknown; createRenewalPolicy?: unknown };
  try {
    exports = (await import(pathToFileURL(compiled).href)) as typeof exports;
  } catch (error) {
    throw new PolicyModuleError(source, `importing it threw ${describeThrown(error, DEFAULT_CALL_BUDGET_MS)}`);
  }
  const factory = exports.createRenewalPolicy ?? exports.default;
  if (typeof factory !== 'function') {
    throw new PolicyModuleError(source, 'expected a default export (or an export "createRenewalPolicy") that is a function');
  }
  return factory as UserPolicyFactory;
}

export async function loadPolicyModule(source: PolicySource): Promise<UserPolicyFactory> {
  return importPolicyFactory(await compilePolicyModule(source), source);
}

/** Wraps a user policy as certfleet's RenewalPolicy: every call within the budget, every answer checked. */
export function userRenewalPolicy(
  factory: UserPolicyFactory,
  settings: PolicyModuleSettings & { retry: { policy: BackoffKind; initial: number; max: number } },
): (deviceId: string) => RenewalPolicy {
  const { source, budgetMs } = settings;
  const call = <T>(what: string, fn: () => T): T => {
    const outcome = guardedCall(fn, budgetMs);
    if (outcome.kind === 'returned') return outcome.value;
    if (outcome.kind === 'overran') throw new PolicyModuleError(source, `${what} did not return within ${budgetMs} ms (renewal.budget)`);
    throw new PolicyModuleError(source, `${what} threw ${describeThrown(outcome.error, budgetMs)}`);
  };
  // Reading the functions off the policy is module code too (a getter): inside the budget, once.
  const user = call('the factory (its default export)', () => {
    const made: unknown = factory(settings.options);
    const policy = made as Partial<UserRenewalPolicy> | null | undefined;
    return { made, renewAt: policy?.renewAt, retryDelay: policy?.retryDelay };
  });
  const { renewAt, retryDelay } = user;
  if (typeof renewAt !== 'function') {
    throw new PolicyModuleError(source, `the factory returned ${describeValue(user.made)}; expected an object with a renewAt(certificate, context) function`);
  }
  if (retryDelay !== undefined && typeof retryDelay !== 'function') {
    throw new PolicyModuleError(source, `the factory's retryDelay is ${describeValue(retryDelay)}; expected a function or nothing`);
  }
  const fallback = backoff(settings.retry);
  return (deviceId) => {
    const on = `for ${deviceId} (cohort ${source.cohort})`;
    const context = (random: SeededRandom): PolicyContext => ({ random: () => random.next(), deviceId, cohort: source.cohort });
    return {
      renewAt(validity, random) {
        const certificate = { notBefore: validity.notBefore, notAfter: validity.notAfter };
        const at = call(`renewAt ${on}`, () => renewAt.call(user.made, certificate, context(random)) as unknown);
        if (typeof at !== 'number' || !Number.isFinite(at) || at < validity.notBefore || at > MAX_TIME_MS) {
          throw new PolicyModuleError(
            source,
            `renewAt ${on} returned ${describeValue(at)} for a certificate valid ${iso(validity.notBefore)} to ${iso(validity.notAfter)}; ` +
              `expected a device-clock time in ms, a finite number from the certificate's notBefore (${validity.notBefore}) to ${MAX_TIME_MS}`,
          );
        }
        return at;
      },
      retryDelay(attempt, random, previous) {
        if (retryDelay === undefined) return fallback(attempt, random, previous);
        const delay = call(`retryDelay(${attempt}) ${on}`, () => retryDelay.call(user.made, attempt, context(random)) as unknown);
        // At least 1 ms: a device retrying at the same instant over and over would hold the whole run at that instant.
        if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 1 || delay > MAX_TIME_MS) {
          throw new PolicyModuleError(source, `retryDelay(${attempt}) ${on} returned ${describeValue(delay)}; expected a delay in ms, a finite number from 1 to ${MAX_TIME_MS}`);
        }
        return delay;
      },
    };
  };
}

function iso(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= MAX_TIME_MS ? new Date(t).toISOString() : String(t);
}
