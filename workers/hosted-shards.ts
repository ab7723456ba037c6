import type { FromDeviceProcess, ToDeviceProcess } from './protocol.js';
import { ShardPool } from './shard-pool.js';

/**
 * Some shards of the fleet hosted for a coordinator, driven by the device-process protocol: `start` makes their
 * ShardPool, `advance` runs an epoch, `stop` ends it with final statistics. Messages are handled one after another in
 * the order they came, and each answer goes through `send`. A device process hosts one; an agent one per slot.
 */
export class HostedShards {
  readonly #send: (message: FromDeviceProcess) => void;
  /** Awaited before the pool starts (an agent checks it can reach the broker). */
  readonly #beforeStart: ((start: Extract<ToDeviceProcess, { type: 'start' }>) => Promise<void>) | undefined;
  #pool: ShardPool | undefined;
  #queue = Promise.resolve();

  constructor(send: (message: FromDeviceProcess) => void, beforeStart?: (start: Extract<ToDeviceProcess, { type: 'start' }>) => Promise<void>) {
    this.#send = send;
    this.#beforeStart = beforeStart;
  }

  /** Resolves when this message (and every one before it) has been handled; a failure is sent as `failed`. */
  handle(message: ToDeviceProcess): Promise<void> {
    this.#queue = this.#queue.then(() => this.#handle(message)).catch((error: Error) => this.#send({ type: 'failed', message: error.message }));
    return this.#queue;
  }

  /** Ends the pool at once, without final statistics (nobody is left to read them). */
  async destroy(): Promise<void> {
    await this.#pool?.destroy();
  }

  async #handle(message: ToDeviceProcess): Promise<void> {
    const send = this.#send;
    switch (message.type) {
      case 'start':
        await this.#beforeStart?.(message);
        this.#pool = await ShardPool.start({
          plan: message.plan,
          pki: message.pki,
          credentials: message.credentials,
          // Passed on as the coordinator gave it: the address its broker reports to these devices.
          broker: message.broker,
          shards: message.shards,
          shardOptions: message.options,
          bootAt: message.bootAt,
          onEvents: (events) => send({ type: 'events', events }),
          onStats: (stats) => send(stats),
        });
        send({ type: 'ready', devices: Object.keys(message.credentials).length });
        return;
      case 'advance': {
        if (!this.#pool) throw new Error('advance before start');
        const result = await this.#pool.advance(message.epoch, message.from, message.to, { sessionsDropped: message.sessionsDropped });
        send({ type: 'advanced', epoch: message.epoch, ...result });
        return;
      }
      case 'stop':
        await this.#pool?.stop();
        this.#pool = undefined;
        send({ type: 'stopped' });
        return;
    }
  }
}
