/**
 * Recurring planned outages of one device: series k starts at start + phase_k + n * every_k and lasts duration_k.
 * Each device has its own phases, so a cohort's outages do not all begin at once.
 */
export class OutageSchedule {
  readonly #series: readonly { every: number; duration: number; first: number }[];

  constructor(outages: readonly { every: number; duration: number }[], phases: readonly number[], start: number) {
    this.#series = outages.map((o, i) => ({ every: o.every, duration: o.duration, first: start + (phases[i] ?? 0) }));
  }

  /** The first outage start strictly after t; Infinity when there are no outages. */
  nextStartAfter(t: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.#series) {
      const n = t < s.first ? 0 : Math.floor((t - s.first) / s.every) + 1;
      next = Math.min(next, s.first + n * s.every);
    }
    return next;
  }

  /** How long the outage starting at t lasts (the longest, if two series start together). */
  durationOfOutageAt(t: number): number {
    let duration = 0;
    for (const s of this.#series) {
      if (t >= s.first && (t - s.first) % s.every === 0) duration = Math.max(duration, s.duration);
    }
    return duration;
  }
}
