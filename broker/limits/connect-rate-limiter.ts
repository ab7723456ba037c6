/**
 * CONNECTs allowed per simulated second, counted in one-second windows of true time (the time each CONNECT
 * carries), per key: a client id, or a shard of the fleet for an account-wide limit split evenly over shards.
 */
export class ConnectRateLimiter {
  readonly #perSecond: number;
  readonly #windows = new Map<string, { window: number; count: number }>();

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  /** Takes one slot in the window of t for `key`; false when the window is full. */
  tryAcquire(key: string, t: number): boolean {
    const window = Math.floor(t / 1000);
    const entry = this.#windows.get(key);
    if (!entry || entry.window !== window) {
      this.#windows.set(key, { window, count: 1 });
      return this.#perSecond >= 1 || this.#fractional(window);
    }
    if (entry.count >= this.#perSecond) return false;
    entry.count += 1;
    return true;
  }

  /** A limit below one per second admits one CONNECT every 1/perSecond seconds. */
  #fractional(window: number): boolean {
    const every = Math.round(1 / this.#perSecond);
    return window % every === 0;
  }
}
