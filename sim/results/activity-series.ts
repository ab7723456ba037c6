import type { FleetEvent } from '../events/fleet-event.js';
import type { ConnectTally } from '../stats/fleet-counters.js';

/** What happened in one sample interval [t - sample, t): rotations, connects with their parts, failures by "judge:cause". */
export interface ActivitySample {
  t: number;
  rotationsSucceeded: number;
  rotationsFailed: number;
  connects: ConnectTally;
  failures: Partial<Record<string, number>>;
}

function emptyActivity(t: number): ActivitySample {
  return { t, rotationsSucceeded: 0, rotationsFailed: 0, connects: { attempted: 0, succeeded: 0, refusedByBroker: 0, rejectedByDevice: 0, transportFailures: 0 }, failures: {} };
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
    if (event.type === 'device.connect') {
      const connects = this.#bucket(event.t).connects;
      connects.attempted += 1;
      if (event.cause === 'ok') connects.succeeded += 1;
      else if (event.side === 'rejectedByDevice') connects.rejectedByDevice += 1;
      else if (event.side === 'refusedByBroker') connects.refusedByBroker += 1;
      else connects.transportFailures += 1;
      return;
    }
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
    return Array.from({ length: count }, (_, i) => this.#buckets[i] ?? emptyActivity(this.#start + (i + 1) * this.#sample));
  }

  #bucket(t: number): ActivitySample {
    const i = Math.max(0, Math.floor((t - this.#start) / this.#sample));
    let bucket = this.#buckets[i];
    if (!bucket) {
      bucket = emptyActivity(this.#start + (i + 1) * this.#sample);
      this.#buckets[i] = bucket;
    }
    return bucket;
  }
}
