import type { FleetEvent } from '../events/fleet-event.js';

/** What happened in one sample interval [t - sample, t): rotations and connect failures by "judge:cause". */
export interface ActivitySample {
  t: number;
  rotationsSucceeded: number;
  rotationsFailed: number;
  failures: Partial<Record<string, number>>;
}

/**
 * Buckets the run's activity into the availability sample intervals, so charts can put counts (rotations per
 * simulated day, failures per cause) beside the state the samples record.
 */
export class ActivitySeries {
  readonly #start: number;
  readonly #sample: number;
  readonly #buckets: ActivitySample[] = [];

  constructor(start: number, sample: number) {
    this.#start = start;
    this.#sample = sample;
  }

  add(event: FleetEvent): void {
    if (event.type !== 'device.rotation') return;
    const bucket = this.#bucket(event.t);
    if (event.outcome === 'succeeded') bucket.rotationsSucceeded += 1;
    else bucket.rotationsFailed += 1;
  }

  /** A failure the tally counted, under its "judge:cause" key. */
  addFailure(judgeCause: string, t: number): void {
    const bucket = this.#bucket(t);
    bucket.failures[judgeCause] = (bucket.failures[judgeCause] ?? 0) + 1;
  }

  /** One entry per sample time up to `until`, empty intervals included. */
  samples(until: number): ActivitySample[] {
    const count = Math.max(0, Math.floor((until - this.#start) / this.#sample));
    return Array.from({ length: count }, (_, i) => this.#buckets[i] ?? { t: this.#start + (i + 1) * this.#sample, rotationsSucceeded: 0, rotationsFailed: 0, failures: {} });
  }

  #bucket(t: number): ActivitySample {
    const i = Math.max(0, Math.floor((t - this.#start) / this.#sample));
    let bucket = this.#buckets[i];
    if (!bucket) {
      bucket = { t: this.#start + (i + 1) * this.#sample, rotationsSucceeded: 0, rotationsFailed: 0, failures: {} };
      this.#buckets[i] = bucket;
    }
    return bucket;
  }
}
