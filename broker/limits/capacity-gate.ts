import { ConnectRateLimiter } from './connect-rate-limiter.js';
import { ServiceQueue } from './service-queue.js';

export interface CapacityLimits {
  connectsPerSecond?: number | undefined;
  connectsPerClientPerSecond?: number | undefined;
  issuancePerSecond?: number | undefined;
  registrationsPerSecond?: number | undefined;
}

/**
 * The broker's capacity in simulated time: whether it is up, its connect rate limits, and the CA's issuance queue.
 * Account-wide capacity is split evenly over the fleet's shards (device i is on shard i mod N): each shard runs its
 * devices in its own deterministic order, so who is refused or waits is the same on every run.
 */
export class CapacityGate {
  readonly #shards: number;
  readonly #deviceIndex: Readonly<Record<string, number>>;
  readonly #account: ConnectRateLimiter | undefined;
  readonly #perClient: ConnectRateLimiter | undefined;
  readonly #issuance: ShardedQueue;
  readonly #registration: ShardedQueue;
  #downUntil = Number.NEGATIVE_INFINITY;

  constructor(limits: CapacityLimits, shards: number, deviceIndex: Readonly<Record<string, number>>) {
    this.#shards = shards;
    this.#deviceIndex = deviceIndex;
    this.#account = limits.connectsPerSecond === undefined ? undefined : new ConnectRateLimiter(limits.connectsPerSecond / shards);
    this.#perClient = limits.connectsPerClientPerSecond === undefined ? undefined : new ConnectRateLimiter(limits.connectsPerClientPerSecond);
    this.#issuance = new ShardedQueue(limits.issuancePerSecond === undefined ? undefined : limits.issuancePerSecond / shards);
    this.#registration = new ShardedQueue(limits.registrationsPerSecond === undefined ? undefined : limits.registrationsPerSecond / shards);
  }

  /** The broker is down (restarting) until true time t. */
  downUntil(t: number): void {
    this.#downUntil = t;
  }

  /** Whether a CONNECT at true time t gets through before any certificate is looked at. */
  admit(clientId: string, t: number): 'rate_limited' | 'broker_unavailable' | undefined {
    if (t < this.#downUntil) return 'broker_unavailable';
    // Per client id first, as AWS IoT throttles a client id before the account.
    if (this.#perClient && !this.#perClient.tryAcquire(clientId, t)) return 'rate_limited';
    if (this.#account && !this.#account.tryAcquire(this.#shardOf(clientId), t)) return 'rate_limited';
    return undefined;
  }

  /** The true time the CA serves a CSR that arrived at t: t itself, or later behind a backlog. */
  issuanceSlot(deviceId: string, t: number): number {
    return this.#issuance.serve(this.#shardOf(deviceId), t);
  }

  /** The true time RegisterThing serves a request that arrived at t. */
  registrationSlot(deviceId: string, t: number): number {
    return this.#registration.serve(this.#shardOf(deviceId), t);
  }

  #shardOf(clientId: string): string {
    return String((this.#deviceIndex[clientId] ?? 0) % this.#shards);
  }
}

/** One first-come-first-served queue per shard, or none (served at once) without a limit. */
class ShardedQueue {
  readonly #perSecond: number | undefined;
  readonly #queues = new Map<string, ServiceQueue>();

  constructor(perSecond: number | undefined) {
    this.#perSecond = perSecond;
  }

  serve(shard: string, t: number): number {
    if (this.#perSecond === undefined) return t;
    let queue = this.#queues.get(shard);
    if (!queue) {
      queue = new ServiceQueue(this.#perSecond);
      this.#queues.set(shard, queue);
    }
    return queue.serve(t);
  }
}
