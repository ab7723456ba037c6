import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';
import { topicMatchesFilter } from '../backend/topic-filter.js';
import { channelOf, channelsOf } from './topic-channels.js';

type Message = MQEmitterRedis.Message;
type Listener = (message: Message, done: () => void) => void;

/** The part of an MQEmitter that aedes uses (aedes.js: on, removeListener, emit, close). */
export interface TopicEmitter {
  on(topic: string, listener: Listener, callback?: () => void): this;
  removeListener(topic: string, listener: Listener, callback?: () => void): void;
  emit(message: Message, callback?: (error?: Error) => void): void;
  close(callback: () => void): void;
}

/** The field a message carries its MQTT topic in while it travels on a channel. */
const TOPIC = 'certfleetTopic';

/**
 * mqemitter-redis (aedes's documented way to join broker instances: every message goes through Redis pub/sub and
 * reaches the instances whose clients subscribed), with two changes of channel:
 * - every channel is under the run's prefix (`certfleet:run:<runId>:broker/`): mqemitter-redis names its channels
 *   after the topics, so two runs on one Redis would otherwise deliver each other's messages;
 * - a message travels on its device's channel (topic-channels.ts), carrying its topic with it, and each listener
 *   takes only the messages its own filter matches: Redis then matches each PUBLISH against a handful of patterns
 *   rather than one per device.
 */
export class RunScopedEmitter implements TopicEmitter {
  readonly #inner: MQEmitterRedis.MQEmitterRedis;
  readonly #connections: readonly Redis[];
  #closed: Promise<void> | undefined;
  readonly #prefix: string;
  /** Each listener's wrapper, by filter, so removeListener finds it. */
  readonly #wrappers = new Map<string, Map<Listener, Listener>>();

  constructor(prefix: string, connections: { subConn: Redis; pubConn: Redis }) {
    this.#prefix = `${prefix}/`;
    this.#inner = MQEmitterRedis({ ...connections, matchEmptyLevels: true });
    this.#connections = [connections.subConn, connections.pubConn];
    // mqemitter-redis re-emits its connections' errors (an EPIPE as a connection closes) as 'error' on its `state`
    // emitter, where its own tests listen; with no listener an EventEmitter throws, ending the instance. A Redis that
    // is really gone is told by the connections themselves (connectRedis's onGone).
    (this.#inner as unknown as { state: EventEmitter }).state.on('error', () => undefined);
  }

  on(filter: string, listener: Listener, callback?: () => void): this {
    const wrapper: Listener = (message, done) => {
      const topic = message[TOPIC] as string;
      if (!topicMatchesFilter(filter, topic)) {
        done();
        return;
      }
      const { [TOPIC]: _, ...packet } = message;
      listener({ ...packet, topic }, done);
    };
    let byListener = this.#wrappers.get(filter);
    if (!byListener) {
      byListener = new Map();
      this.#wrappers.set(filter, byListener);
    }
    byListener.set(listener, wrapper);
    const channels = channelsOf(filter);
    let pending = channels.length;
    const subscribed = () => {
      pending -= 1;
      if (pending === 0) callback?.();
    };
    for (const channel of channels) this.#inner.on(this.#prefix + channel, wrapper, subscribed);
    return this;
  }

  removeListener(filter: string, listener: Listener, callback?: () => void): void {
    const byListener = this.#wrappers.get(filter);
    const wrapper = byListener?.get(listener);
    if (!byListener || !wrapper) {
      callback?.();
      return;
    }
    byListener.delete(listener);
    if (byListener.size === 0) this.#wrappers.delete(filter);
    const channels = channelsOf(filter);
    let pending = channels.length;
    const removed = () => {
      pending -= 1;
      if (pending === 0) callback?.();
    };
    for (const channel of channels) this.#inner.removeListener(this.#prefix + channel, wrapper, removed);
  }

  emit(message: Message, callback?: (error?: Error) => void): void {
    // Always with a callback: without one, mqemitter-redis reports a failed PUBLISH (the connection closing as the
    // instance stops) as an 'error' event nobody listens to, which throws inside its promise chain and ends the
    // process with an unhandled rejection. Redis lost for good is told by the connection (connectRedis's onGone).
    this.#inner.emit({ ...message, [TOPIC]: message.topic, topic: this.#prefix + channelOf(message.topic) }, callback ?? ignoreFailedPublish);
  }

  /**
   * Quits both connections (aedes calls this as it closes, the instance again after it). Not mqemitter-redis's
   * close(): it sends QUIT on both connections and drops the promises, and ioredis rejects a QUIT whose socket closes
   * before the reply comes ("Connection is closed."), which ends the process as an unhandled rejection. Messages
   * emitted after this fail into their callbacks.
   */
  close(callback: () => void): void {
    this.#closed ??= Promise.allSettled(this.#connections.map((connection) => connection.quit())).then(() => undefined);
    void this.#closed.then(callback);
  }
}

/** A message nobody waits for (an aedes $SYS notice, a will) that Redis did not take: nothing to tell anyone. */
const ignoreFailedPublish = (): void => undefined;
