/**
 * A count's rate per wall second over the last few seconds: the progress bar's rotations per second, which a run's
 * average would flatten (quiet stretches of simulated time, then renewal waves).
 */
export class RecentRate {
  readonly #windowMs: number;
  /** (wall ms, running total), oldest first; the first one at or before the window's start is kept as its base. */
  readonly #points: { at: number; total: number }[] = [];

  constructor(windowMs = 5_000) {
    this.#windowMs = windowMs;
  }

  /** Records the running total at wall time `at` (ms) and returns the rate per second over the window ending there. */
  observe(at: number, total: number): number {
    this.#points.push({ at, total });
    while (this.#points.length > 2 && (this.#points[1]?.at ?? at) <= at - this.#windowMs) this.#points.shift();
    const first = this.#points[0];
    if (!first || at <= first.at) return 0;
    return ((total - first.total) * 1000) / (at - first.at);
  }
}
