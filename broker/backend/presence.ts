import type { OfflineNotice, SyncRequest } from '../../sim/device-api/messages.js';
import type { SessionsDropped } from '../../sim/plan/fleet-plan.js';
import { HarnessStalledError } from '../../sim/harness/harness-stalled-error.js';

/**
 * Who is online, as a backend that is only a client of the broker can know it (docs/architecture.md, "Presence"): a
 * device is online in the session its sync request named, until that session's offline notice (before DISCONNECT,
 * from a session that took it over, or its Will), or until the coordinator says the broker dropped it (a restart,
 * a revocation, a partition). A notice about another session of the device is about an old one, and changes nothing.
 *
 * Notices arrive in wall time, so before deciding who is online the backend waits for every notice the devices
 * published before it (`expect`): the shards count those the broker acknowledged, epoch by epoch.
 */
export class Presence {
  /** Device id -> the session it is online in ('' for a sync request that named none). */
  readonly #online = new Map<string, string>();
  readonly #onOffline: (deviceId: string) => void;
  readonly #guardMs: number;
  /** Notices devices published on purpose (not Wills), received and announced. */
  #received = 0;
  #expected = 0;
  #waiters: { until: number; resolve: () => void }[] = [];

  /** `onOffline`: a device went offline (pushes waiting for its acknowledgement give up). */
  constructor(options: { onOffline: (deviceId: string) => void; guardMs: number }) {
    this.#onOffline = options.onOffline;
    this.#guardMs = options.guardMs;
  }

  isOnline(deviceId: string): boolean {
    return this.#online.has(deviceId);
  }

  synced(deviceId: string, request: SyncRequest): void {
    this.#online.set(deviceId, request.session ?? '');
  }

  offline(deviceId: string, notice: OfflineNotice): void {
    if (notice.reason !== 'will') {
      this.#received += 1;
      this.#wake();
    }
    if (this.#online.get(deviceId) === notice.session) this.#drop(deviceId);
  }

  /** The broker ended these sessions (the coordinator's notice, at the event's true time). */
  dropped(sessions: SessionsDropped): void {
    const ids = sessions.all ? [...this.#online.keys()] : (sessions.clientIds ?? []);
    for (const id of ids) this.#drop(id);
  }

  /** The devices have published this many offline notices in all, each acknowledged by the broker. */
  expect(total: number): void {
    this.#expected = Math.max(this.#expected, total);
  }

  /**
   * Resolves once every notice announced has arrived; a HarnessStalledError after the wall-clock guard (the broker
   * acknowledged them, so on loopback they arrive in milliseconds). More than announced is fine: a client other than
   * a certfleet device may publish a notice of its own.
   */
  settled(): Promise<void> {
    if (this.#received >= this.#expected) return Promise.resolve();
    const until = this.#expected;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new HarnessStalledError(`the backend got ${this.#received} of ${until} offline notices within ${this.#guardMs} ms`));
      }, this.#guardMs);
      const waiter = {
        until,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  #wake(): void {
    const ready = this.#waiters.filter((w) => this.#received >= w.until);
    this.#waiters = this.#waiters.filter((w) => this.#received < w.until);
    for (const waiter of ready) waiter.resolve();
  }

  #drop(deviceId: string): void {
    if (!this.#online.delete(deviceId)) return;
    this.#onOffline(deviceId);
  }
}
