import type { FleetEvent } from '../events/fleet-event.js';
import type { ConnectTally } from '../stats/fleet-counters.js';

/** What the run has done so far, for the live view and the metrics endpoint. */
export interface LiveCounts {
  rotationsSucceeded: number;
  rotationsFailed: number;
  /** Failed connects by "judge:cause", as the failure tally counts them. */
  failures: Partial<Record<string, number>>;
  /** The device workers' connects, with their parts, as of their last statistics message (every few wall seconds). */
  connects: ConnectTally;
}

/**
 * Running totals kept as events arrive: a few additions per event, so the progress bar and a scrape read them at no
 * cost. The same events make summary.json's totals, so the last live counts equal the summary's.
 */
export class LiveCounters {
  #rotationsSucceeded = 0;
  #rotationsFailed = 0;
  readonly #failures: Partial<Record<string, number>> = {};

  add(event: FleetEvent): void {
    if (event.type !== 'device.rotation') return;
    if (event.outcome === 'succeeded') this.#rotationsSucceeded += 1;
    else this.#rotationsFailed += 1;
  }

  /** A failure the tally counted, under its "judge:cause" key. */
  addFailure(judgeCause: string): void {
    this.#failures[judgeCause] = (this.#failures[judgeCause] ?? 0) + 1;
  }

  counts(connects: ConnectTally): LiveCounts {
    return {
      rotationsSucceeded: this.#rotationsSucceeded,
      rotationsFailed: this.#rotationsFailed,
      failures: { ...this.#failures },
      connects,
    };
  }
}
