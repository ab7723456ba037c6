import type { DeliveryMessage, SyncRequest, SyncResponse } from '../sim/device-api/messages.js';
import type { DeliveryOutcomeKind } from '../sim/events/fleet-event.js';
import type { SessionsDropped } from '../sim/plan/fleet-plan.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import { HarnessStalledError } from '../sim/harness/harness-stalled-error.js';
import type { BrokerLink } from './backend/broker-link.js';
import { Presence } from './backend/presence.js';
import { publishJson } from './publish-json.js';
import { subscribeJson, type RequestGuard } from './subscribe-json.js';

/**
 * How deliveries of one kind travel when not on the delivery topic: a rotation job goes as AWS IoT Jobs' notify-next
 * and is acknowledged by the device's start-next (`DeliveryService.acknowledge`); one the device cannot take now
 * stays where the device finds it itself at its next connect (the job store), not in the sync queue.
 */
export interface DeliveryChannel {
  push(deviceId: string, message: DeliveryMessage): Promise<void>;
}

export interface DeliveryOutcome {
  /** Sent to a device that was online and acknowledged. */
  pushed: number;
  /** Held for the device's next connect. */
  queued: number;
}

/**
 * Cloud-to-device deliveries (trust-bundle updates, certificate payloads). A device that is online (it has
 * connected, subscribed and asked for its queue, and not said it left: broker/backend/presence.ts) gets a delivery
 * at once and acknowledges it; any other device gets it in the answer to the sync request it sends right after its
 * next connect, as a job queued for an offline thing.
 */
export class DeliveryService {
  readonly #broker: BrokerLink;
  readonly #ackTimeoutMs: number;
  readonly #guard: RequestGuard;
  readonly #presence: Presence;
  readonly #queued = new Map<string, DeliveryMessage[]>();
  readonly #awaitingAck = new Map<string, { deviceId: string; acked: () => void; gone: () => void }>();

  readonly #lost: (deviceId: string, message: DeliveryMessage) => boolean;
  readonly #onDelivery: (deviceId: string, message: DeliveryMessage, outcome: DeliveryOutcomeKind) => void;
  readonly #channels: Partial<Record<DeliveryMessage['kind'], DeliveryChannel>>;

  /**
   * `ackTimeoutMs` is a wall-clock guard: deliveries go out between epochs, to devices that are idle and online, and
   * every one of them acknowledges; none doing so in time means the harness stalled, which fails the run rather than
   * deciding whether the device got the delivery now or at its next connect.
   */
  constructor(
    broker: BrokerLink,
    options: {
      ackTimeoutMs: number;
      guard: RequestGuard;
      lost?: ((deviceId: string, message: DeliveryMessage) => boolean) | undefined;
      /** Told what became of each delivery (the decision log's broker.delivery events). */
      onDelivery?: ((deviceId: string, message: DeliveryMessage, outcome: DeliveryOutcomeKind) => void) | undefined;
      channels?: Partial<Record<DeliveryMessage['kind'], DeliveryChannel>> | undefined;
    },
  ) {
    this.#broker = broker;
    this.#ackTimeoutMs = options.ackTimeoutMs;
    this.#guard = options.guard;
    this.#lost = options.lost ?? (() => false);
    this.#onDelivery = options.onDelivery ?? (() => undefined);
    this.#channels = options.channels ?? {};
    this.#presence = new Presence({
      guardMs: options.ackTimeoutMs,
      // A push waiting for the acknowledgement of a device that left goes back to the queue.
      onOffline: (deviceId) => {
        for (const waiting of [...this.#awaitingAck.values()]) if (waiting.deviceId === deviceId) waiting.gone();
      },
    });
  }

  /** The broker ended these sessions (a restart, a revocation, a partition), at the event's true time. */
  sessionsDropped(dropped: SessionsDropped): void {
    this.#presence.dropped(dropped);
  }

  /** The devices have published this many offline notices in all; the next delivery waits for them. */
  offlineNoticesSent(total: number): void {
    this.#presence.expect(total);
  }

  async start(): Promise<void> {
    await Promise.all([
      // A notice has no reply topic, and none that claims a time: a Will goes out when the broker notices a drop.
      subscribeJson(this.#broker, this.#guard, {
        kind: 'offline-notice',
        filter: 'devices/+/presence/offline',
        serve: (deviceId, notice) => this.#presence.offline(deviceId, notice),
      }),
      subscribeJson(this.#broker, this.#guard, {
        kind: 'sync',
        filter: 'devices/+/sync/request',
        serve: (deviceId, body) => this.#sync(deviceId, body),
        // Nothing is handed over and the queue is kept for a sync request the backend can believe.
        refuse: (deviceId, refusal) => {
          const response: SyncResponse = { deliveries: [], refused: `${refusal.reason}: ${refusal.problem}` };
          return publishJson(this.#broker, deviceTopics(deviceId).syncResponse, response);
        },
      }),
      // An acknowledgement has no reply topic: one the backend cannot read is counted and recorded; the push it may
      // have meant stays unacknowledged, which the ack guard reports (certfleet's own devices never send one).
      subscribeJson(this.#broker, this.#guard, {
        kind: 'delivery-ack',
        filter: 'devices/+/delivery/ack',
        serve: (deviceId, body) => this.acknowledge(deviceId, body.updateId),
      }),
    ]);
  }

  /** Device `deviceId` has acknowledged delivery `updateId` (on the delivery topic, or as its channel says). */
  acknowledge(deviceId: string, updateId: string): void {
    this.#awaitingAck.get(ackKey(deviceId, updateId))?.acked();
  }

  queuedFor(deviceId: string): number {
    return this.#queued.get(deviceId)?.length ?? 0;
  }

  /**
   * Delivers each message to its device; resolves when every online device has acknowledged. Rejects with a
   * HarnessStalledError when one has not within the guard.
   */
  async deliver(items: readonly { deviceId: string; message: DeliveryMessage }[]): Promise<DeliveryOutcome> {
    if (items.length === 0) return { pushed: 0, queued: 0 };
    // Who is online is decided only once every offline notice the devices sent so far has arrived: the same
    // decision whatever order the broker's messages reached the backend in.
    await this.#presence.settled();
    let queued = 0;
    const acks: Promise<boolean>[] = [];
    for (const { deviceId, message } of items) {
      if (this.#isOnline(deviceId) && this.#lost(deviceId, message)) {
        // An injected loss: the device never gets this push, so it stays queued for the device's next connect, as a
        // push nobody acknowledged does; decided here, in simulated time, rather than by waiting out the ack timeout.
        this.#onDelivery(deviceId, message, 'lost');
        this.#queue(deviceId, message);
        queued += 1;
      } else if (this.#isOnline(deviceId)) {
        acks.push(this.#push(deviceId, message));
      } else {
        this.#queue(deviceId, message);
        queued += 1;
      }
    }
    const results = await Promise.all(acks);
    // The session ended before the acknowledgement: the delivery waits in the queue for the device's next connect.
    const unacked = results.filter((ok) => !ok).length;
    return { pushed: results.length - unacked, queued: queued + unacked };
  }

  #push(deviceId: string, message: DeliveryMessage): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const key = ackKey(deviceId, message.updateId);
      const timer = setTimeout(() => {
        this.#awaitingAck.delete(key);
        this.#queue(deviceId, message);
        reject(new HarnessStalledError(`device ${deviceId} did not acknowledge delivery ${message.updateId} within ${this.#ackTimeoutMs} ms`));
      }, this.#ackTimeoutMs);
      const settle = (acked: boolean) => {
        clearTimeout(timer);
        this.#awaitingAck.delete(key);
        if (acked) this.#onDelivery(deviceId, message, 'acknowledged');
        else this.#queue(deviceId, message);
        resolve(acked);
      };
      this.#awaitingAck.set(key, { deviceId, acked: () => settle(true), gone: () => settle(false) });
      this.#onDelivery(deviceId, message, 'sent');
      const channel = this.#channels[message.kind];
      (channel ? channel.push(deviceId, message) : publishJson(this.#broker, deviceTopics(deviceId).delivery, message)).catch(() => undefined);
    });
  }

  #queue(deviceId: string, message: DeliveryMessage): void {
    this.#onDelivery(deviceId, message, 'queued');
    // A delivery with a channel of its own waits where the device looks for it (a job stays QUEUED in the job store).
    if (this.#channels[message.kind]) return;
    const list = this.#queued.get(deviceId) ?? [];
    list.push(message);
    this.#queued.set(deviceId, list);
  }

  /** Connected, subscribed and synced, and not said to have left (broker/backend/presence.ts). */
  #isOnline(deviceId: string): boolean {
    return this.#presence.isOnline(deviceId);
  }

  #sync(deviceId: string, body: SyncRequest): Promise<void> {
    const deliveries = this.#queued.get(deviceId) ?? [];
    this.#queued.delete(deviceId);
    this.#presence.synced(deviceId, body);
    for (const message of deliveries) this.#onDelivery(deviceId, message, 'synced');
    const response: SyncResponse = { deliveries };
    return publishJson(this.#broker, deviceTopics(deviceId).syncResponse, response);
  }
}

function ackKey(deviceId: string, updateId: string): string {
  return `${deviceId}\u0000${updateId}`;
}
