/**
 * A server that handles `perSecond` requests per simulated second, first come first served: a request arriving at
 * true time t is served at max(t, when the previous one finished). The CA's issuance limit is one; a backlog shows
 * as requests served later than they arrived.
 */
export class ServiceQueue {
  readonly #serviceMs: number;
  #freeAt = Number.NEGATIVE_INFINITY;

  constructor(perSecond: number) {
    this.#serviceMs = 1000 / perSecond;
  }

  /** The true time at which a request arriving at t is served. */
  serve(t: number): number {
    const at = Math.max(t, this.#freeAt);
    this.#freeAt = at + this.#serviceMs;
    return Math.round(at);
  }
}
