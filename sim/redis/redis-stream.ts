import { deserialize, serialize } from 'node:v8';
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

/**
 * Reads a stream from its start, in order, handing each message on (XREAD BLOCK), and deletes the entries it has
 * handed on so a long run's stream does not grow without end. It needs a connection of its own: a blocked XREAD
 * holds its connection. A read that fails (Redis gone) ends the reader and is told, unless the reader was stopped.
 */
export class StreamReader {
  readonly #redis: Redis;
  readonly #key: string;
  #stopped = false;
  readonly done: Promise<void>;

  constructor(redis: Redis, key: string, onMessage: (message: unknown) => void, onError: (error: Error) => void) {
    this.#redis = redis;
    this.#key = key;
    this.done = this.#read(onMessage).catch((error: Error) => {
      if (!this.#stopped) onError(error);
    });
  }

  /** Stops after the read in progress (at most a second). */
  stop(): void {
    this.#stopped = true;
  }

  async #read(onMessage: (message: unknown) => void): Promise<void> {
    let last = '0';
    while (!this.#stopped) {
      const reply = await this.#redis.xreadBuffer('BLOCK', BLOCK_MS, 'STREAMS', this.#key, last);
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
      if (ids.length > 0) await this.#redis.xdel(this.#key, ...ids);
    }
  }
}
