import type { TLSSocket } from 'node:tls';
import type { AuthenticateError, Client } from 'aedes';
import { connectRedis } from '../../sim/redis/connect-redis.js';
import { emptyBrokerStats } from '../../sim/stats/broker-stats.js';
import { peerChainDer } from '../../sim/tls/peer-chain.js';
import { startAedesServer, type AedesServer, type Authenticate } from '../aedes-server.js';
import type { SessionRole } from '../device-admission.js';
import { EpochWindow } from '../epoch-window.js';
import type { FromBrokerInstance, InstanceStats, ToBrokerInstance } from './instance-protocol.js';
import { RunScopedEmitter } from './run-scoped-emitter.js';

type Start = Extract<ToBrokerInstance, { type: 'start' }>;
type Verdict = Extract<ToBrokerInstance, { type: 'verdict' }>;

/** How often an instance looks whether its counts changed and, if so, sends them. */
const STATS_EVERY_MS = 1_000;

/**
 * One broker instance, in its own process: Aedes behind its TLS listener with the topic policy, routing through
 * Redis (mqemitter-redis) to the other instances. It judges nobody itself: each CONNECT goes to the coordinator, which
 * holds the registers and answers with the verdict; the instance tells it which admitted connections closed.
 */
export class BrokerInstance {
  readonly #send: (message: FromBrokerInstance) => void;
  readonly #epoch: EpochWindow;
  readonly #stats = emptyBrokerStats();
  readonly #roles = new WeakMap<object, SessionRole>();
  readonly #numbers = new WeakMap<object, number>();
  readonly #live = new Map<number, Client>();
  readonly #pending = new Map<number, (verdict: Verdict) => void>();
  #nextNumber = 0;
  #nextRequest = 0;
  #server: AedesServer | undefined;
  #emitter: RunScopedEmitter | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #statsSent = '';

  private constructor(start: Start, send: (message: FromBrokerInstance) => void) {
    this.#send = send;
    this.#epoch = new EpochWindow(start.config.clock.start);
  }

  static async start(start: Start, send: (message: FromBrokerInstance) => void): Promise<BrokerInstance> {
    const self = new BrokerInstance(start, send);
    const role = `broker instance ${start.instance}`;
    // Redis gone: said to the coordinator, which ends the run with that message rather than waiting on lost messages.
    const onGone = (error: Error) => send({ type: 'failed', message: error.message });
    const [subConn, pubConn] = await Promise.all([connectRedis(start.redis, { role, onGone }), connectRedis(start.redis, { role, onGone })]);
    self.#emitter = new RunScopedEmitter(start.channelPrefix, { subConn, pubConn });
    const config = { ...start.config, listen: { ...start.config.listen, port: start.port } };
    self.#server = await startAedesServer(config, {
      authenticate: self.#authenticate,
      roleOf: (client) => self.#roles.get(client),
      stats: self.#stats,
      epoch: self.#epoch,
      onEvent: (event) => send({ type: 'events', events: [event] }),
      onClientDisconnect: (client) => self.#closed(client, true),
      mq: self.#emitter,
    });
    send({ type: 'ready', port: self.#server.port });
    // Between epochs too (a connect storm, a long hold), the coordinator's sessions and counts stay current.
    self.#statsTimer = setInterval(() => self.#sendChangedStats(), STATS_EVERY_MS).unref();
    return self;
  }

  /** A message from the coordinator. */
  handle(message: ToBrokerInstance): void {
    switch (message.type) {
      case 'verdict':
        this.#pending.get(message.request)?.(message);
        this.#pending.delete(message.request);
        break;
      case 'epoch':
        this.#epoch.open(message.from, message.to);
        this.#send({ type: 'done', request: message.request, stats: this.stats() });
        break;
      case 'server-certificate':
        this.#server?.useServerCertificate(message.use);
        break;
      case 'close': {
        const sessions = this.#server?.deviceSessions() ?? [];
        const chosen = message.connections === 'all' ? sessions : message.connections.flatMap((n) => this.#live.get(n) ?? []);
        // Only a connection that is still the live session of its client id: one aedes already let go is not cut again.
        const live = new Set(sessions);
        const closed = chosen.filter((client) => live.has(client));
        for (const client of closed) client.close();
        this.#send({ type: 'done', request: message.request, stats: this.stats(), clientIds: closed.map((c) => c.id) });
        break;
      }
      case 'start':
      case 'stop':
        break;
    }
  }

  stats(): InstanceStats {
    return {
      topicDenied: this.#stats.topicDenied,
      connectionsCut: { ...this.#stats.connectionsCut },
      tlsErrors: this.#stats.tlsErrors,
      connected: this.#server?.deviceSessions().length ?? 0,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#statsTimer);
    await this.#server?.close();
    await new Promise<void>((resolve) => (this.#emitter ? this.#emitter.close(resolve) : resolve()));
  }

  #sendChangedStats(): void {
    const stats = this.stats();
    const key = JSON.stringify(stats);
    if (key === this.#statsSent) return;
    this.#statsSent = key;
    this.#send({ type: 'stats', stats });
  }

  readonly #authenticate: Authenticate = (client, username, _password, done) => {
    const connection = this.#nextNumber++;
    const request = this.#nextRequest++;
    this.#numbers.set(client, connection);
    this.#pending.set(request, (verdict) => {
      if (verdict.returnCode === undefined) {
        if (verdict.role) this.#roles.set(client, verdict.role);
        this.#live.set(connection, client);
        // Live until its socket closes (aedes-broker.ts: a reconnect must not find the old session live).
        client.conn.once('close', () => this.#closed(client, false));
        done(null, true);
        return;
      }
      const error = new Error(`client ${client.id} refused`) as AuthenticateError;
      (error as { returnCode: number }).returnCode = verdict.returnCode;
      done(error, false);
    });
    this.#send({ type: 'admit', request, connection, clientId: client.id, username, chain: peerChainDer(client.conn as TLSSocket) });
  };

  /** An admitted connection closed: the coordinator's registry lets its session go (once per connection). */
  #closed(client: Client, sessionEnded: boolean): void {
    const connection = this.#numbers.get(client);
    if (connection === undefined) return;
    if (!sessionEnded && !this.#live.has(connection)) return;
    this.#live.delete(connection);
    this.#send({ type: 'closed', connection, clientId: client.id, sessionEnded });
  }
}
