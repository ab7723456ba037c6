import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { SeededRandom } from '../random/seeded-random.js';
import { backoff, type BackoffKind } from './backoff.js';
import type { RenewalPolicy } from './renewal-policy.js';

/**
 * A team's own renewal logic, as a JavaScript or TypeScript module the scenario names (`renewal.module`). It is how
 * a QA team tests ITS rotation logic against certfleet's fleet. The module's default export (or its export
 * `createRenewalPolicy`) is a factory:
 *
 * ```ts
 * export default function createRenewalPolicy(options: Record<string, unknown>): {
 *   // The device-clock reading (ms) at which to renew this certificate.
 *   renewAt(certificate: { notBefore: number; notAfter: number }, context: PolicyContext): number;
 *   // Optional: wait this long (ms) after the attempt-th consecutive failed rotation.
 *   retryDelay?(attempt: number, context: PolicyContext): number;
 * }
 * ```
 *
 * `context.random()` draws from the device's own seeded stream, so a run stays reproducible from its seed.
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

/** Compiles (TypeScript or JavaScript, with its imports bundled) and imports a policy module; throws a clear Error. */
export async function loadPolicyModule(file: string): Promise<UserPolicyFactory> {
  let code: string;
  try {
    const result = await build({ entryPoints: [file], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    code = result.outputFiles[0]?.text ?? '';
  } catch (error) {
    const first = (error as { errors?: { text: string }[] }).errors?.[0]?.text ?? (error as Error).message;
    throw new Error(`renewal policy module ${file}: ${first}`);
  }
  const compiled = join(mkdtempSync(join(tmpdir(), 'certfleet-policy-')), 'policy.mjs');
  writeFileSync(compiled, code);
  const exports = (await import(pathToFileURL(compiled).href)) as { default?: unknown; createRenewalPolicy?: unknown };
  const factory = exports.createRenewalPolicy ?? exports.default;
  if (typeof factory !== 'function') {
    throw new Error(`renewal policy module ${file}: expected a default export (or an export "createRenewalPolicy") that is a function`);
  }
  return factory as UserPolicyFactory;
}

/** Wraps a user policy as certfleet's RenewalPolicy, checking what it returns. */
export function userRenewalPolicy(
  factory: UserPolicyFactory,
  options: { file: string; options: Record<string, unknown>; cohort: string; retry: { policy: BackoffKind; initial: number; max: number } },
): (deviceId: string) => RenewalPolicy {
  const user = factory(options.options);
  if (typeof user?.renewAt !== 'function') {
    throw new Error(`renewal policy module ${options.file}: the factory must return an object with a renewAt(certificate, context) function`);
  }
  const fallback = backoff(options.retry);
  return (deviceId) => {
    const context = (random: SeededRandom): PolicyContext => ({ random: () => random.next(), deviceId, cohort: options.cohort });
    return {
      renewAt(validity, random) {
        const at = user.renewAt({ notBefore: validity.notBefore, notAfter: validity.notAfter }, context(random));
        if (!Number.isFinite(at)) throw new Error(`renewal policy module ${options.file}: renewAt returned ${String(at)}, expected a time in ms`);
        return at;
      },
      retryDelay(attempt, random, previous) {
        if (!user.retryDelay) return fallback(attempt, random, previous);
        const delay = user.retryDelay(attempt, context(random));
        if (!Number.isFinite(delay) || delay < 0) {
          throw new Error(`renewal policy module ${options.file}: retryDelay returned ${String(delay)}, expected ms >= 0`);
        }
        return delay;
      },
    };
  };
}
