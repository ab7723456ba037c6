import type { SeededRandom } from '../random/seeded-random.js';

/**
 * When a device renews its certificate and how it backs off after a failure. The device reads these against its
 * own clock, so a fast clock renews early in true time and a clock stuck in 1970 never renews at all.
 */
export interface RenewalPolicy {
  /** The clock reading at which to renew a certificate valid from notBefore to notAfter. */
  renewAt(validity: { notBefore: number; notAfter: number }, random: SeededRandom): number;
  /** How long to wait after the `attempt`-th consecutive failure (1-based). */
  retryDelay(attempt: number, random: SeededRandom): number;
}

export interface FractionOfLifetimeOptions {
  /** Fraction of the lifetime after which to renew (step-ca and cert-manager use 2/3, Azure IoT Edge 80%). */
  at: number;
  /** Plus or minus this fraction of the lifetime, uniform per certificate, to spread a fleet's renewals. */
  jitter: number;
  retry: { initial: number; max: number };
}

export function fractionOfLifetime(options: FractionOfLifetimeOptions): RenewalPolicy {
  return {
    renewAt({ notBefore, notAfter }, random) {
      const fraction = options.at + (options.jitter === 0 ? 0 : random.between(-options.jitter, options.jitter));
      return notBefore + Math.floor((notAfter - notBefore) * fraction);
    },
    retryDelay(attempt, random) {
      // "Full jitter" (AWS Architecture blog, Exponential Backoff And Jitter): uniform in [0, min(cap, base * 2^n)],
      // floored at one base interval so a retry never lands at the same instant as the failure.
      const ceiling = Math.min(options.retry.max, options.retry.initial * 2 ** Math.min(attempt - 1, 40));
      return Math.max(options.retry.initial, Math.floor(random.next() * ceiling));
    },
  };
}
