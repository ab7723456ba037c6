import type { Redis } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';

type Message = MQEmitterRedis.Message;
type Listener = (message: Message, done: () => void) => void;

/** The part of an MQEmitter that aedes uses (aedes.js: on, removeListener, emit, close). */
export interface TopicEmitter {
  on(topic: string, listener: Listener, callback?: () => void): this;
  removeListener(topic: string, listener: Listener, callback?: () => void): void;
  emit(message: Message, callback?: (error?: Error) => void): void;
  close(callback: () => void): void;
}

/**
 * mqemitter-redis (aedes's documented way to join broker instances: every message goes through Redis pub/sub and
 * reaches the instances whose clients subscribed) with every topic under a prefix of the run, as one more topic level:
 * mqemitter-redis names its Redis channels after the MQTT topics, so two runs on one Redis would otherwise deliver
 * each other's messages. Listeners see the topic without the prefix.
 */
export class RunScopedEmitter implements TopicEmitter {
  readonly #inner: MQEmitterRedis.MQEmitterRedis;
  readonly #prefix: string;
  /** Each listener's wrapper, by topic, so removeListener finds it. */
  readonly #wrappers = new Map<string, Map<Listener, Listener>>();

  constructor(prefix: string, connections: { subConn: Redis; pubConn: Redis }) {
    this.#prefix = `${prefix}/`;
    // aedes's own emitter matches `a/+` against `a/` ([MQTT-4.7.1-3]); so does this one.
    this.#inner = MQEmitterRedis({ ...connections, matchEmptyLevels: true });
  }

  on(topic: string, listener: Listener, callback?: () => void): this {
    const strip = this.#prefix.length;
    const wrapper: Listener = (message, done) => listener({ ...message, topic: message.topic.slice(strip) }, done);
    let byListener = this.#wrappers.get(topic);
    if (!byListener) {
      byListener = new Map();
      this.#wrappers.set(topic, byListener);
    }
    byListener.set(listener, wrapper);
    this.#inner.on(this.#prefix + topic, wrapper, callback);
    return this;
  }

  removeListener(topic: string, listener: Listener, callback?: () => void): void {
    const byListener = this.#wrappers.get(topic);
    const wrapper = byListener?.get(listener);
    if (!byListener || !wrapper) {
      callback?.();
      return;
    }
    byListener.delete(listener);
    if (byListener.size === 0) this.#wrappers.delete(topic);
    this.#inner.removeListener(this.#prefix + topic, wrapper, callback);
  }

  emit(message: Message, callback?: (error?: Error) => void): void {
    this.#inner.emit({ ...message, topic: this.#prefix + message.topic }, callback);
  }

  close(callback: () => void): void {
    this.#inner.close(callback);
  }
}
