/**
 * The true-time window `[from, to)` of the epoch the coordinator is running (docs/architecture.md, "Epochs"). Devices
 * act at their own scheduled true times inside it and say so (CONNECT user name, a request's `t`); a claim outside it
 * is not believed, so no client can pick the time it is judged at or the dates of the certificate it gets.
 */
export class EpochWindow {
  #from: number;
  #to: number;

  /** Until the coordinator opens the first epoch, the broker is at the instant its clock was set from. */
  constructor(start: number) {
    this.#from = start;
    this.#to = start + 1;
  }

  /** The coordinator opens the epoch [from, to). */
  open(from: number, to: number): void {
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
      throw new RangeError(`an epoch must be a finite, non-empty window of true time (from ${from}, to ${to})`);
    }
    this.#from = from;
    this.#to = to;
  }

  /** The broker's current true time: where it judges clients that claim no time. */
  get now(): number {
    return this.#from;
  }

  /** A claimed true time the broker may act on: finite and inside [from, to). */
  admits(t: number): boolean {
    return Number.isFinite(t) && t >= this.#from && t < this.#to;
  }

  /** Why a claimed time is refused, for the record. */
  describeRefusal(t: number | string): string {
    const claimed = typeof t === 'string' ? JSON.stringify(t) : Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
    return `claimed true time ${claimed} is outside the current epoch [${new Date(this.#from).toISOString()}, ${new Date(this.#to).toISOString()})`;
  }
}
