import { randomBytes } from 'node:crypto';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Cause } from '../sim/causes.js';
import { HarnessStalledError } from '../sim/harness/harness-stalled-error.js';
import { simTimeUsername, type OfflineNotice } from '../sim/device-api/messages.js';
import type { ParsedCertificate, Verdict } from '../sim/verify/types.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import { peerChain } from '../sim/tls/peer-chain.js';
import { causeFromConnack, causeFromTlsAlert, receivedTlsAlert, type InferredCause } from '../sim/tls/alert-causes.js';
import { EMBEDDED_BROKER_DIALECT, type BrokerDialect } from './broker-dialect.js';
import { ConnectionRefusedError, MqttConnection } from './mqtt/mqtt-connection.js';

export interface DialOptions {
  /** Loopback address to dial. */
  address: string;
  port: number;
  /** The host name the device believes it dials (SNI, and what the server certificate must name). */
  serverName: string;
  secureContext: SecureContext;
  clientId: string;
  /** The topic filter that covers everything the backend sends this device; subscribed on first need. */
  inbox: string;
  /** True time of the connect, sent in the CONNECT username (when the dialect claims time) so the broker judges at its clock reading of it. */
  t: number;
  pool: CertificatePool;
  /** The device's verdict on the chain the broker presented, at the device's clock. */
  judge: (chain: ParsedCertificate[]) => Verdict;
  /** Wall-clock guard for the handshake and CONNACK; running out is a harness failure, never a device's cause. */
  timeoutMs: number;
  /** How this broker target is spoken to; the embedded broker's way when absent. */
  dialect?: BrokerDialect | undefined;
  /** How the session tells the backend it goes offline (docs/architecture.md, "Presence"); none: it never says. */
  presence?: SessionPresence | undefined;
}

export interface SessionPresence {
  /** The device's offline-notice topic: the session's Will, and where it says it leaves before DISCONNECT. */
  offlineTopic: string;
  /** A notice this session published: the promise says whether the broker acknowledged it (PUBACK). */
  onNotice: (acknowledged: Promise<boolean>) => void;
}

export type DialOutcome =
  | { ok: true; session: BrokerSession; verdict: Verdict; latencyMs: number; presented: ParsedCertificate[] }
  | {
      ok: false;
      cause: Cause;
      /** Set when the cause is the device's reading of a broker's TLS alert or CONNACK code (sim/tls/alert-causes.ts). */
      inferredFrom?: string | undefined;
      verdict?: Verdict | undefined;
      detail?: string | undefined;
      presented?: ParsedCertificate[] | undefined;
    };

/**
 * One connection attempt: a real TLS handshake with the device's key and certificate, then the device's own
 * judgement of the broker's chain (Node's TLS can only judge at the host clock), then MQTT CONNECT over the same
 * socket. A device that rejects the chain closes the socket before CONNECT, as a device whose TLS stack failed
 * verification would. Rejects with a HarnessStalledError when the broker did not answer within the wall-clock
 * guard: on loopback that means the harness stalled, and the run must say so rather than count a device failure
 * that a quieter machine would not have seen.
 */
export function dialBroker(options: DialOptions): Promise<DialOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: DialOutcome | HarnessStalledError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof HarnessStalledError) reject(outcome);
      else resolve(outcome);
    };
    const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(options.serverName);
    const socket: TLSSocket = tlsConnect({
      host: options.address,
      port: options.port,
      secureContext: options.secureContext,
      rejectUnauthorized: false,
      // RFC 6066 3: SNI carries host names only, never IP literals.
      ...(isIp ? {} : { servername: options.serverName }),
    });
    // Small request/response packets: Nagle plus delayed ACKs would add ~40 ms to every MQTT round trip.
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      finish(new HarnessStalledError(`device ${options.clientId}: no TLS handshake and CONNACK within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // TLS 1.2: the broker judges the device certificate inside the handshake, and a refusal arrives here as an alert.
      finish({ ok: false, ...transportCause(error), detail: error.code ?? error.message });
    });
    socket.once('close', () => finish({ ok: false, cause: 'broker_unreachable', detail: 'closed during handshake' }));
    socket.once('secureConnect', () => {
      const presented = peerChain(socket, options.pool);
      const verdict = options.judge(presented);
      if (verdict.cause !== 'ok') {
        socket.destroy();
        finish({ ok: false, cause: verdict.cause, verdict, presented });
        return;
      }
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      const dialect = options.dialect ?? EMBEDDED_BROKER_DIALECT;
      const session = new BrokerSession(socket, options.clientId, options.inbox, dialect.claimsTime ? options.t : undefined, options.timeoutMs, options.presence);
      session.ready.then(
        () => finish({ ok: true, session, verdict, latencyMs: performance.now() - started, presented }),
        (error: Error) => {
          session.close().catch(() => undefined);
          if (error instanceof HarnessStalledError) {
            finish(new HarnessStalledError(`device ${options.clientId}: no CONNACK within ${options.timeoutMs} ms`));
            return;
          }
          finish({ ok: false, ...refusalCause(error, dialect), verdict, presented, detail: error.message });
        },
      );
    });
  });
}

/** A failed handshake: the cause a received alert reveals, or what the transport says (no alert: nothing inferred). */
function transportCause(error: NodeJS.ErrnoException): { cause: Cause } | InferredCause {
  const alert = receivedTlsAlert(error);
  if (alert !== undefined) return causeFromTlsAlert(alert);
  if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EPIPE') return { cause: 'broker_unreachable' };
  return { cause: 'tls_handshake_failed' };
}

/**
 * No CONNACK 0 after a completed handshake. With TLS 1.3 the client's handshake completes before the broker has
 * judged the client certificate (RFC 8446 4.4.2.4: its verdict follows the client's Finished), so a refused
 * certificate arrives as an alert while the device waits for CONNACK. A refusing CONNACK is read as the dialect
 * says; a connection closed with no alert and no CONNACK stays `broker_unreachable`.
 */
function refusalCause(error: Error, dialect: BrokerDialect): { cause: Cause } | InferredCause {
  if (error instanceof ConnectionRefusedError) {
    return dialect.connackCauses === 'inferred' ? causeFromConnack(error.code) : { cause: 'connection_refused' };
  }
  const alert = receivedTlsAlert(error as NodeJS.ErrnoException);
  return alert === undefined ? { cause: 'broker_unreachable' } : causeFromTlsAlert(alert);
}

type MessageHandler = (topic: string, payload: Buffer) => void;

/** An MQTT 3.1.1 session over an already-verified TLS socket. */
export class BrokerSession {
  readonly ready: Promise<void>;
  readonly #connection: MqttConnection;
  readonly #handlers = new Map<string, MessageHandler>();
  #fallback: MessageHandler | undefined;
  readonly #inbox: string;
  #inboxSubscribed: Promise<boolean> | undefined;
  readonly #clientId: string;
  /** Requests waiting for a reply: told when the session ends, so they answer at once instead of waiting. */
  readonly #onEnd = new Set<() => void>();
  /**
   * Names this session in presence notices; unique, so a notice about it never concerns a later one. Random is fine
   * here: the backend only compares it for equality, so it never changes an outcome.
   */
  readonly id = randomBytes(9).toString('base64url');
  readonly #presence: SessionPresence | undefined;
  /** The device told the backend it is online in this session (its sync request named it). */
  #announced = false;

  /** `t`: the true time claimed in the CONNECT user name; none when undefined (a broker that reads no claim). */
  constructor(socket: TLSSocket, clientId: string, inbox: string, t: number | undefined, connackTimeoutMs: number, presence?: SessionPresence) {
    this.#inbox = inbox;
    this.#clientId = clientId;
    this.#presence = presence;
    const will = presence && { topic: presence.offlineTopic, payload: JSON.stringify({ session: this.id, reason: 'will' } satisfies OfflineNotice) };
    const username = t === undefined ? undefined : simTimeUsername(t);
    this.#connection = new MqttConnection(socket, { clientId, username, connackTimeoutMs, will });
    this.ready = this.#connection.connected;
    this.#connection.onPublish((topic, payload) => {
      const handler = this.#handlers.get(topic) ?? this.#fallback;
      handler?.(topic, payload);
    });
    this.#connection.onEnd(() => {
      for (const listener of [...this.#onEnd]) listener();
    });
  }

  /**
   * The connection has ended, whoever ended it. A device does not act on this when it happens (the moment is wall
   * time): it learns of a session the broker ended at a simulated time, from the broker's notice or its shard.
   */
  get ended(): boolean {
    return this.#connection.ended;
  }

  onMessage(topic: string, handler: MessageHandler): void {
    this.#handlers.set(topic, handler);
  }

  onAnyMessage(handler: MessageHandler): void {
    this.#fallback = handler;
  }

  async subscribe(filter: string): Promise<void> {
    const granted = await this.#connection.subscribe([filter]);
    // [MQTT-3.9.3] return code 0x80 in the SUBACK: the broker refused the subscription.
    if (granted === undefined) throw new Error(`subscription to ${filter} refused (session ended)`);
    if (granted.some((code) => code === 0x80)) throw new Error(`subscription to ${filter} refused`);
  }

  /**
   * Subscribes to the device's inbox once per session; later calls share the first SUBACK. False when the broker
   * refused it or the session ended first. Only devices that may be sent something unasked subscribe at connect; the
   * others subscribe before their first request, which keeps a connect at one round trip (CONNECT/CONNACK).
   */
  openInbox(): Promise<boolean> {
    this.#inboxSubscribed ??= this.subscribe(this.#inbox).then(
      () => true,
      () => false,
    );
    return this.#inboxSubscribed;
  }

  async publish(topic: string, body: unknown): Promise<void> {
    if (!(await this.#connection.publish(topic, JSON.stringify(body)))) throw new Error(`publish to ${topic} failed: session ended`);
  }

  /**
   * Publishes and waits for the first message on `replyTopic` that `matches`; undefined if the session ends first.
   * The broker answers every request: no answer within `timeoutMs` of wall time is a HarnessStalledError.
   */
  async request<T>(topic: string, body: unknown, replyTopic: string, matches: (reply: T) => boolean, timeoutMs: number): Promise<T | undefined> {
    return (await this.requestAny<T>(topic, body, [replyTopic], matches, timeoutMs))?.reply;
  }

  /**
   * Publishes and waits for the first matching message on any of `replyTopics` (an accepted / rejected pair, as AWS
   * IoT's MQTT APIs answer); undefined if the session ends first, a HarnessStalledError after timeoutMs.
   */
  async requestAny<T>(
    topic: string,
    body: unknown,
    replyTopics: readonly string[],
    matches: (reply: T) => boolean,
    timeoutMs: number,
  ): Promise<{ topic: string; reply: T } | undefined> {
    // A refused inbox means no reply can arrive: answer at once instead of waiting out the timeout.
    if (!(await this.openInbox())) return undefined;
    if (this.ended) return undefined;
    return new Promise((resolve, reject) => {
      const done = (result: { topic: string; reply: T } | undefined | HarnessStalledError) => {
        clearTimeout(timer);
        this.#onEnd.delete(ended);
        for (const replyTopic of replyTopics) this.#handlers.delete(replyTopic);
        if (result instanceof HarnessStalledError) reject(result);
        else resolve(result);
      };
      // The session ended (the broker closed it): no reply can come.
      const ended = () => done(undefined);
      this.#onEnd.add(ended);
      const timer = setTimeout(
        () => done(new HarnessStalledError(`device ${this.#clientId}: no answer on ${replyTopics.join(' or ')} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      for (const replyTopic of replyTopics) {
        this.onMessage(replyTopic, (_topic, payload) => {
          let reply: T;
          try {
            reply = JSON.parse(payload.toString()) as T;
          } catch {
            return;
          }
          if (matches(reply)) done({ topic: replyTopic, reply });
        });
      }
      this.publish(topic, body).catch(() => undefined);
    });
  }

  /** The device tells the backend it is online in this session: from now on, ending it sends an offline notice. */
  announceOnline(): string {
    this.#announced = true;
    return this.id;
  }

  /**
   * Another session of this client id (`by`, a later one) took this one over ([MQTT-3.1.4-2]): the later session
   * tells the backend, at QoS 1, that this one is offline, so the backend need not wait for a Will the broker may
   * send late or never.
   */
  reportTakenOver(by: BrokerSession): void {
    if (!this.#announced) return;
    by.#notice({ session: this.id, reason: 'taken-over' });
  }

  /**
   * Ends the session cleanly (DISCONNECT, then the socket); resolves once the broker has closed the connection. A
   * session that announced itself online first says it goes offline, at QoS 1 ([MQTT-3.14.4-3]: a DISCONNECT
   * discards the Will). `silent`: the broker has ended it already, and the backend learns that otherwise.
   */
  async close(options: { silent?: boolean } = {}): Promise<void> {
    if (this.#announced && !options.silent && !this.ended) await this.#notice({ session: this.id, reason: 'disconnect' });
    this.#announced = false;
    return this.#connection.disconnect();
  }

  #notice(notice: OfflineNotice): Promise<boolean> {
    if (!this.#presence) return Promise.resolve(false);
    const acknowledged = this.#connection.publishAcknowledged(this.#presence.offlineTopic, JSON.stringify(notice));
    this.#presence.onNotice(acknowledged);
    return acknowledged;
  }
}
