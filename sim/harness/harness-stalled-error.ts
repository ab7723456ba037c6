/**
 * A wall-clock guard fired: the harness (a worker, the broker's event loop, the machine) made no progress for that
 * long. It is never a simulated outcome: outcomes depend only on simulated time and the seed, so a stalled harness
 * ends the run as a harness failure instead of being counted as a device's or the broker's cause.
 */
export class HarnessStalledError extends Error {
  constructor(what: string) {
    super(`harness stalled: ${what} (a harness failure, not a device or broker outcome)`);
    this.name = 'HarnessStalledError';
  }
}
