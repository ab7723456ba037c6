import type { SeededRandom } from '../random/seeded-random.js';
import { backoff, type Backoff, type BackoffKind } from './backoff.js';

/**
 * When a device renews its certificate and how it backs off after a failed rotation. The device reads these
 * against its own clock, so a fast clock renews early in true time and a clock stuck in 1970 never renews at all.
 * One file per kind: a fraction of the lifetime, a window, or the team's own module (policy-module.ts).
 */
export interface RenewalPolicy {
  /** The clock reading at which to renew a certificate valid from notBefore to notAfter. */
  renewAt(validity: { notBefore: number; notAfter: number }, random: SeededRandom): number;
  /** How long to wait after the `attempt`-th consecutive failure (1-based). */
  retryDelay(attempt: number, random: SeededRandom, previousDelay?: number): number;
}

export interface RetrySpec {
  policy?: BackoffKind | undefined;
  initial: number;
  max: number;
}

export interface FractionOfLifetimeOptions {
  /** Fraction of the lifetime after which to renew (step-ca and cert-manager use 2/3, Azure IoT Edge 80%). */
  at: number;
  /** Plus or minus this fraction of the lifetime, uniform per certificate, to spread a fleet's renewals. */
  jitter: number;
  retry: RetrySpec;
}

export function fractionOfLifetime(options: FractionOfLifetimeOptions): RenewalPolicy {
  const retry = retryBackoff(options.retry);
  return {
    renewAt({ notBefore, notAfter }, random) {
      const fraction = options.at + (options.jitter === 0 ? 0 : random.between(-options.jitter, options.jitter));
      return notBefore + Math.floor((notAfter - notBefore) * fraction);
    },
    retryDelay: (attempt, random, previous) => retry(attempt, random, previous),
  };
}

/**
 * A uniform random point inside a window of the lifetime, as an ACME client does inside the window a CA suggests
 * with ACME Renewal Information (RFC 9773 4.2: "a uniform random time within the window").
 */
export function renewalWindow(options: { from: number; to: number; retry: RetrySpec }): RenewalPolicy {
  const retry = retryBackoff(options.retry);
  return {
    renewAt({ notBefore, notAfter }, random) {
      return notBefore + Math.floor((notAfter - notBefore) * random.between(options.from, options.to));
    },
    retryDelay: (attempt, random, previous) => retry(attempt, random, previous),
  };
}

function retryBackoff(spec: RetrySpec): Backoff {
  return backoff({ policy: spec.policy ?? 'full-jitter', initial: spec.initial, max: spec.max });
}
