import { deserialize, serialize } from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/** The one field of each stream entry: the message, serialized as Node's IPC 'advanced' serialization does. */
const FIELD = 'm';
/** How long one XREAD waits for an entry before it asks again (and notices it was stopped). */
const BLOCK_MS = 1_000;

/**
 * Appends a message to a stream (XADD). The payload is v8.serialize's structured clone, as between a coordinator and
 * its device processes: Infinity, undefined and typed arrays survive, which JSON would lose. Commands on one
 * connection are sent in order, so messages arrive in the order they were appended.
 */
export async function appendToStream(redis: Redis, key: string, message: unknown): Promise<void> {
  await redis.xadd(key, '*', FIELD, serialize(message));
}

/** After a read that failed (Redis lost for a moment), the next try. */
const RETRY_MS = 200;

/**
 * Reads a stream from its start, in order, handing each message on (XREAD BLOCK), and deletes the entries it has
 * handed on so a long run's stream does not grow without end. It needs a connection of its own: a blocked XREAD
 * holds its connection. A read that fails (Redis lost for a moment) is tried again from the last entry read until
 * the reader is stopped: Redis gone for good is told by the connection itself (connectRedis's onGone).
 */
export class StreamReader {
  readonly #redis: Redis;
  readonly #key: string;
  #stopped = false;
  readonly done: Promise<void>;

  constructor(redis: Redis, key: string, onMessage: (message: unknown) => void) {
    this.#redis = redis;
    this.#key = key;
    this.done = this.#read(onMessage);
  }

  /** Stops after the read in progress (at most a second). */
  stop(): void {
    this.#stopped = true;
  }

  async #read(onMessage: (message: unknown) => void): Promise<void> {
    let last = '0';
    while (!this.#stopped) {
      let reply: Awaited<ReturnType<Redis['xreadBuffer']>>;
      try {
        reply = await this.#redis.xreadBuffer('BLOCK', BLOCK_MS, 'STREAMS', this.#key, last);
      } catch {
        await sleep(RETRY_MS);
        continue;
      }
      if (!reply || this.#stopped) continue;
      const ids: string[] = [];
      for (const [, entries] of reply) {
        for (const [id, fields] of entries) {
          last = id.toString();
          ids.push(last);
          const payload = fields[fields.findIndex((f, i) => i % 2 === 0 && f.toString() === FIELD) + 1];
          if (payload) onMessage(deserialize(payload));
        }
      }
      // Entries left behind by a failed delete are only garbage: reading goes on after `last`.
      if (ids.length > 0) await this.#redis.xdel(this.#key, ...ids).catch(() => undefined);
    }
  }
}
