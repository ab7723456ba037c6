import type { Aedes, Client } from 'aedes';
import type { DeliveryAck, DeliveryMessage, SyncRequest, SyncResponse } from '../sim/device-api/messages.js';
import { deviceTopics, parseDeviceTopic } from '../sim/device-api/topics.js';
import { HarnessStalledError } from '../sim/harness/harness-stalled-error.js';
import { publishJson } from './publish-json.js';

export interface DeliveryOutcome {
  /** Sent to a device that was online and acknowledged. */
  pushed: number;
  /** Held for the device's next connect. */
  queued: number;
}

/**
 * Cloud-to-device deliveries (trust-bundle updates, certificate payloads). A device that is online (it has
 * connected, subscribed and asked for its queue) gets a delivery at once and acknowledges it; any other device gets
 * it in the answer to the sync request it sends right after its next connect, as a job queued for an offline thing.
 */
export class DeliveryService {
  readonly #broker: Aedes;
  readonly #ackTimeoutMs: number;
  /** The live session of each device, and the sessions that have asked for their queue (so are subscribed). */
  readonly #sessions = new Map<string, Client>();
  readonly #synced = new WeakSet<Client>();
  readonly #queued = new Map<string, DeliveryMessage[]>();
  readonly #awaitingAck = new Map<string, { deviceId: string; acked: () => void; gone: () => void }>();

  /**
   * `ackTimeoutMs` is a wall-clock guard: deliveries go out between epochs, to devices that are idle and online, and
   * every one of them acknowledges; none doing so in time means the harness stalled, which fails the run rather than
   * deciding whether the device got the delivery now or at its next connect.
   */
  constructor(broker: Aedes, options: { ackTimeoutMs: number }) {
    this.#broker = broker;
    this.#ackTimeoutMs = options.ackTimeoutMs;
  }

  async start(): Promise<void> {
    this.#broker.on('clientReady', (client) => this.#sessions.set(client.id, client));
    this.#broker.on('clientDisconnect', (client) => {
      // A device that reconnected has a new session already; only its current session's end takes it offline.
      if (this.#sessions.get(client.id) !== client) return;
      this.#sessions.delete(client.id);
      for (const waiting of [...this.#awaitingAck.values()]) if (waiting.deviceId === client.id) waiting.gone();
    });
    await Promise.all([
      this.#subscribe('devices/+/sync/request', (deviceId, body: SyncRequest) => this.#sync(deviceId, body)),
      this.#subscribe('devices/+/delivery/ack', (deviceId, body: DeliveryAck) => {
        this.#awaitingAck.get(ackKey(deviceId, body.updateId))?.acked();
      }),
    ]);
  }

  queuedFor(deviceId: string): number {
    return this.#queued.get(deviceId)?.length ?? 0;
  }

  /**
   * Delivers each message to its device; resolves when every online device has acknowledged. Rejects with a
   * HarnessStalledError when one has not within the guard.
   */
  async deliver(items: readonly { deviceId: string; message: DeliveryMessage }[]): Promise<DeliveryOutcome> {
    let queued = 0;
    const acks: Promise<boolean>[] = [];
    for (const { deviceId, message } of items) {
      if (this.#isOnline(deviceId)) {
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
        if (!acked) this.#queue(deviceId, message);
        resolve(acked);
      };
      this.#awaitingAck.set(key, { deviceId, acked: () => settle(true), gone: () => settle(false) });
      publishJson(this.#broker, deviceTopics(deviceId).delivery, message).catch(() => undefined);
    });
  }

  #queue(deviceId: string, message: DeliveryMessage): void {
    const list = this.#queued.get(deviceId) ?? [];
    list.push(message);
    this.#queued.set(deviceId, list);
  }

  /**
   * Connected, subscribed and synced, and not being closed: a session the broker is closing (a restart, a
   * revocation, just now) is offline already, however far aedes has got in taking it down.
   */
  #isOnline(deviceId: string): boolean {
    const session = this.#sessions.get(deviceId);
    return session !== undefined && !session.closed && !session.conn.destroyed && this.#synced.has(session);
  }

  #sync(deviceId: string, _body: SyncRequest): void {
    const deliveries = this.#queued.get(deviceId) ?? [];
    this.#queued.delete(deviceId);
    const session = this.#sessions.get(deviceId);
    if (session) this.#synced.add(session);
    const response: SyncResponse = { deliveries };
    publishJson(this.#broker, deviceTopics(deviceId).syncResponse, response).catch(() => undefined);
  }

  #subscribe<T>(filter: string, handler: (deviceId: string, body: T) => void): Promise<void> {
    return new Promise((resolve) => {
      this.#broker.subscribe(
        filter,
        (packet, callback) => {
          const topic = parseDeviceTopic(packet.topic);
          try {
            if (topic) handler(topic.deviceId, JSON.parse(packet.payload.toString()) as T);
          } catch {
            // A malformed body from a device is dropped; the device times out and retries.
          }
          callback();
        },
        resolve,
      );
    });
  }
}

function ackKey(deviceId: string, updateId: string): string {
  return `${deviceId}\u0000${updateId}`;
}
