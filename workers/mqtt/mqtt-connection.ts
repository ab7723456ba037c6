import type { Duplex } from 'node:stream';
import { generate, parser as packetParser, type Packet } from 'mqtt-packet';
import { HarnessStalledError } from '../../sim/harness/harness-stalled-error.js';

/** A CONNACK with a non-zero return code (MQTT 3.1.1 3.2.2.3): `code` is that return code. */
export class ConnectionRefusedError extends Error {
  constructor(readonly code: number) {
    super(`broker refused the connection: CONNACK return code ${code}`);
  }
}

export interface ConnectionOptions {
  clientId: string;
  username?: string | undefined;
  /**
   * Wall-clock guard for CONNACK (and for the broker closing the connection after DISCONNECT). A broker on loopback
   * answers in milliseconds; one that says nothing this long means the harness stalled, never a simulated outcome.
   */
  connackTimeoutMs: number;
  /** The session's Will ([MQTT-3.1.2-8]): published by the broker, at QoS 1, if the connection ends without DISCONNECT. */
  will?: { topic: string; payload: string } | undefined;
}

type PublishListener = (topic: string, payload: Buffer) => void;

/**
 * The part of MQTT 3.1.1 a simulated device uses, over a socket that is already open: CONNECT/CONNACK, SUBSCRIBE/
 * SUBACK, PUBLISH at QoS 0 both ways, DISCONNECT. No keepalive (pings are wall-clock traffic with no meaning on a
 * compressed timeline), QoS 1 only for the offline notice (no retries: a session that ends first never counts it),
 * no reconnect, no outgoing queue: packets are written straight to the socket,
 * so a connected device costs a parser and a few closures instead of a full client (about 17 KB of heap each).
 * mqtt-packet does the encoding and decoding.
 */
export class MqttConnection {
  /**
   * Resolves on CONNACK 0; rejects with ConnectionRefusedError, the socket's error (a TLS alert, a reset) or an Error
   * if the socket ends first, or a HarnessStalledError if the wall-clock guard runs out.
   */
  readonly connected: Promise<void>;
  readonly #socket: Duplex;
  readonly #pendingSubacks = new Map<number, (granted: number[] | undefined) => void>();
  readonly #pendingPubacks = new Map<number, (acknowledged: boolean) => void>();
  readonly #guardMs: number;
  #nextMessageId = 1;
  #ended = false;
  #onPublish: PublishListener = () => undefined;
  #onEnd: () => void = () => undefined;

  constructor(socket: Duplex, options: ConnectionOptions) {
    this.#socket = socket;
    this.#guardMs = options.connackTimeoutMs;
    const parser = packetParser({ protocolVersion: 4 });
    let settle: (error?: Error) => void = () => undefined;
    this.connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new HarnessStalledError(`no CONNACK within ${options.connackTimeoutMs} ms`)),
        options.connackTimeoutMs,
      );
      settle = (error) => {
        settle = () => undefined;
        clearTimeout(timer);
        if (error) {
          reject(error);
          this.#end();
        } else resolve();
      };
    });
    parser.on('packet', (packet: Packet) => {
      switch (packet.cmd) {
        case 'connack':
          if (packet.returnCode === 0) settle();
          else settle(new ConnectionRefusedError(packet.returnCode ?? 0));
          break;
        case 'publish':
          this.#onPublish(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
          break;
        case 'puback': {
          const waiter = this.#pendingPubacks.get(packet.messageId ?? 0);
          this.#pendingPubacks.delete(packet.messageId ?? 0);
          waiter?.(true);
          break;
        }
        case 'suback': {
          const waiter = this.#pendingSubacks.get(packet.messageId ?? 0);
          this.#pendingSubacks.delete(packet.messageId ?? 0);
          waiter?.(packet.granted.map((g) => (typeof g === 'number' ? g : (g as { qos: number }).qos)));
          break;
        }
        default:
          // PINGRESP, UNSUBACK, PUBREC and PUBCOMP never arrive for packets this client does not send.
          break;
      }
    });
    // A malformed packet from the broker ends the session, as [MQTT-4.8.0-1] asks of a client.
    parser.on('error', () => this.#end());
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    // Before CONNACK the error is the answer (a TLS 1.3 broker's alert on the client certificate arrives now).
    socket.on('error', (error: Error) => {
      settle(error);
      this.#end();
    });
    socket.on('close', () => {
      settle(new Error('connection closed before CONNACK'));
      this.#end();
    });
    this.#write({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: options.clientId,
      clean: true,
      keepalive: 0,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.will === undefined ? {} : { will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: false } }),
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  onPublish(listener: PublishListener): void {
    this.#onPublish = listener;
  }

  /** Called once when the session ends, whoever ended it. */
  onEnd(listener: () => void): void {
    this.#onEnd = listener;
  }

  /** The granted QoS per filter (0x80: refused, [MQTT-3.9.3]); undefined if the session ended first. */
  subscribe(filters: readonly string[]): Promise<number[] | undefined> {
    if (this.#ended) return Promise.resolve(undefined);
    const messageId = this.#takeMessageId();
    return new Promise((resolve) => {
      this.#pendingSubacks.set(messageId, resolve);
      this.#write({ cmd: 'subscribe', messageId, subscriptions: filters.map((topic) => ({ topic, qos: 0 })) });
    });
  }

  /** QoS 0: resolves once the packet is handed to the socket; false if the session has ended. */
  publish(topic: string, payload: string | Buffer): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#socket.write(generate({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false }), (error) => resolve(!error));
    });
  }

  /**
   * QoS 1: resolves true on the broker's PUBACK, which it sends once it has taken the message in ([MQTT-4.3.2]);
   * false if the session ended first. A broker that neither acknowledges nor closes within the guard is cut off.
   */
  publishAcknowledged(topic: string, payload: string | Buffer): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    const messageId = this.#takeMessageId();
    return new Promise((resolve) => {
      const guard = setTimeout(() => this.#end(), this.#guardMs);
      this.#pendingPubacks.set(messageId, (acknowledged) => {
        clearTimeout(guard);
        resolve(acknowledged);
      });
      this.#write({ cmd: 'publish', messageId, topic, payload, qos: 1, dup: false, retain: false });
    });
  }

  /**
   * DISCONNECT ([MQTT-3.14]), then the end of the socket; resolves once the broker has closed the connection
   * ([MQTT-3.14.4-1]), so the broker has taken the session down before the device does anything else: its next
   * CONNECT is never judged against a session it already left, whatever the machine's load.
   */
  disconnect(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#write({ cmd: 'disconnect' });
    return new Promise((resolve) => {
      // A broker that never closes (not the certfleet broker) is cut off after the guard.
      const guard = setTimeout(() => this.#socket.destroy(), this.#guardMs);
      this.#socket.once('close', () => {
        clearTimeout(guard);
        resolve();
      });
      this.#socket.end();
    });
  }

  #takeMessageId(): number {
    const id = this.#nextMessageId;
    // Packet identifiers are non-zero 16-bit integers ([MQTT-2.3.1-1]).
    this.#nextMessageId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  #write(packet: Packet): void {
    if (!this.#ended) this.#socket.write(generate(packet));
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const waiter of this.#pendingSubacks.values()) waiter(undefined);
    this.#pendingSubacks.clear();
    for (const waiter of this.#pendingPubacks.values()) waiter(false);
    this.#pendingPubacks.clear();
    if (!this.#socket.destroyed) this.#socket.destroy();
    this.#onEnd();
  }
}
