import type { SeededRandom } from '../random/seeded-random.js';

/**
 * How long a device waits before trying again after a failure: the four retry disciplines of the AWS Architecture
 * blog "Exponential Backoff And Jitter" (and the AWS CRT MQTT5 client's default, full jitter from 1 s to 120 s).
 */
export type BackoffKind = 'full-jitter' | 'exponential' | 'fixed' | 'decorrelated';

export interface BackoffSpec {
  policy: BackoffKind;
  initial: number;
  max: number;
}

/** Delay in ms before attempt `attempt + 1`, after `attempt` consecutive failures (1-based). */
export type Backoff = (attempt: number, random: SeededRandom, previousDelay: number | undefined) => number;

export function backoff(spec: BackoffSpec): Backoff {
  const ceiling = (attempt: number) => Math.min(spec.max, spec.initial * 2 ** Math.min(attempt - 1, 40));
  switch (spec.policy) {
    case 'fixed':
      return () => spec.initial;
    case 'exponential':
      // No jitter: devices that failed together retry together (the storm this policy is known for).
      return (attempt) => ceiling(attempt);
    case 'decorrelated':
      // sleep = min(cap, random(base, previous * 3))
      return (_attempt, random, previous) => Math.min(spec.max, Math.floor(random.between(spec.initial, (previous ?? spec.initial) * 3)));
    case 'full-jitter':
      // sleep = random(0, min(cap, base * 2^attempt)), as the AWS CRT clients draw it; at least a millisecond, so a
      // retry never lands at the very instant of the failure.
      return (attempt, random) => Math.max(1, Math.floor(random.next() * ceiling(attempt)));
  }
}
