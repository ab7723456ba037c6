/**
 * One device's stretch of failed connects: from its first failure after a successful connect (or the run's start)
 * until its next successful connect. What incidents are made of (sim/results/incidents.ts).
 */
export interface FailureEpisode {
  device: string;
  cohort: string;
  /** True time of the first failure of the stretch. */
  start: number;
  /** True time of its last failure. */
  last: number;
  /** Failed connects of the stretch by "judge:cause" (a device may fail for more than one cause before it recovers). */
  attempts: Record<string, number>;
  /** True time of the successful connect that ended the stretch; null: the device never connected again. */
  recoveredAt: number | null;
}

/**
 * Folds every device's connect outcomes into failure episodes as they arrive. Kept per stretch, not per attempt, so a
 * large fleet retrying for years costs one record per device and stretch.
 */
export class FailureEpisodes {
  readonly #cohortOf: (device: string) => string;
  readonly #closed: FailureEpisode[] = [];
  readonly #open = new Map<string, FailureEpisode>();

  constructor(cohortOf: (device: string) => string) {
    this.#cohortOf = cohortOf;
  }

  /** A failed connect of `device` at true time t, judged `judgeCause`. */
  failed(device: string, t: number, judgeCause: string): void {
    let episode = this.#open.get(device);
    if (!episode) {
      episode = { device, cohort: this.#cohortOf(device), start: t, last: t, attempts: {}, recoveredAt: null };
      this.#open.set(device, episode);
    }
    episode.start = Math.min(episode.start, t);
    episode.last = Math.max(episode.last, t);
    episode.attempts[judgeCause] = (episode.attempts[judgeCause] ?? 0) + 1;
  }

  /** The broker's record named the precise cause of a refusal first counted under `from`. */
  resolved(device: string, from: string, to: string): void {
    const attempts = this.#open.get(device)?.attempts;
    const n = attempts?.[from];
    if (!attempts || n === undefined) return;
    if (n <= 1) delete attempts[from];
    else attempts[from] = n - 1;
    attempts[to] = (attempts[to] ?? 0) + 1;
  }

  /** A successful connect of `device` at t: it ends the device's stretch of failures, if one is open. */
  connected(device: string, t: number): void {
    const episode = this.#open.get(device);
    if (!episode) return;
    this.#open.delete(device);
    episode.recoveredAt = t;
    this.#closed.push(episode);
  }

  /** Every episode so far, ended or not, in order of start. */
  all(): FailureEpisode[] {
    const copy = (e: FailureEpisode): FailureEpisode => ({ ...e, attempts: { ...e.attempts } });
    return [...this.#closed, ...this.#open.values()].map(copy).sort((a, b) => a.start - b.start || a.device.localeCompare(b.device));
  }
}
