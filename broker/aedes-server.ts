import { constants as cryptoConstants } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerStats } from '../sim/stats/broker-stats.js';
import type { BrokerConfig } from './broker-config.js';
import type { SessionRole } from './device-admission.js';
import type { EpochWindow } from './epoch-window.js';
import { AwsTopicMount } from './aws-topic-mount.js';
import { CONNECTION_CUT_DETAIL } from './listener/connection-cut-detail.js';
import { tlsFailureEvent } from './listener/tls-failure-event.js';
import { startTlsListener } from './listener/tls-listener.js';
import { dialAddress } from './listen-address.js';
import { authorizePublish, authorizeSubscribe } from './topic-policy.js';

/** The aedes `authenticate` hook's shape. */
export type Authenticate = (
  client: Client,
  username: Readonly<string | undefined>,
  password: Readonly<Buffer | undefined>,
  done: (error: AuthenticateError | null, success: boolean | null) => void,
) => void;

export interface AedesServerOptions {
  /** Admission: judged here (aedes-broker.ts) or by the coordinator (a broker instance's). */
  authenticate: Authenticate;
  /** The role admission gave a connection, for the topic policy. */
  roleOf: (client: Client) => SessionRole | undefined;
  /** Counted here: topic-policy denials, connection cuts, TLS errors. */
  stats: BrokerStats;
  /** The broker's true time, for the events of cuts and TLS failures. */
  epoch: EpochWindow;
  onEvent: (event: FleetEvent) => void;
  /** Aedes let a client go, after its own clean-up. */
  onClientDisconnect: (client: Client) => void;
  /** The emitter that routes messages between broker instances (mqemitter-redis); absent: aedes's own, in memory. */
  mq?: unknown;
}

/** Aedes behind its TLS listener, with the topic policy: a broker that leaves admission to whoever started it. */
export interface AedesServer {
  readonly host: string;
  readonly port: number;
  /** New handshakes get this server certificate and its chain; sessions already open keep theirs. */
  useServerCertificate(name: string): void;
  /** The live sessions that are not the backend's. */
  deviceSessions(): Client[];
  close(): Promise<void>;
}

/**
 * Node's TLS checks certificates only against the host clock, so the server accepts any certificate in the handshake
 * (which still proves key possession) and the admission hook judges the chain at the broker's simulated clock before
 * CONNACK.
 */
export async function startAedesServer(config: BrokerConfig, options: AedesServerOptions): Promise<AedesServer> {
  const { stats, epoch, onEvent } = options;
  const awsMount = new AwsTopicMount();
  const onDenied = () => {
    stats.topicDenied += 1;
  };
  const broker = await Aedes.createBroker({
    authenticate: options.authenticate,
    authorizePublish: authorizePublish(onDenied, options.roleOf),
    authorizeSubscribe: authorizeSubscribe(onDenied, options.roleOf, awsMount),
    authorizeForward: awsMount.forward,
    // A TLS connection that sends no CONNECT is closed after this long (counted by the listener as connect_timeout).
    connectTimeout: config.connections.connectTimeoutMs,
    ...(options.mq === undefined ? {} : { mq: options.mq }),
  });
  broker.on('clientDisconnect', options.onClientDisconnect);

  const serverOptions = (name: string) => {
    const key = config.pki.serverKeys[name];
    const chain = config.serverChains[name];
    const leaf = config.pki.certificates[name];
    if (key === undefined || chain === undefined || leaf === undefined) {
      throw new RangeError(`no server certificate named "${name}"`);
    }
    return { key, cert: [leaf, ...chain.map((c) => config.pki.certificates[c] ?? '')].join('') };
  };
  // One context per extra endpoint, chosen by the host name the client sends in SNI (RFC 6066 3). Other names, and
  // clients that send none, get the default context: the initial certificate or the last `server-certificate` switch.
  const endpointContexts = new Map<string, SecureContext>(
    Object.entries(config.endpoints).map(([host, name]) => [host, createSecureContext({ ...serverOptions(name), secureOptions: cryptoConstants.SSL_OP_NO_TICKET })]),
  );
  const sniCallback = (servername: string, done: (error: Error | null, context?: SecureContext) => void) =>
    done(null, endpointContexts.get(servername.toLowerCase()));
  // A port that cannot be bound (in use, not allowed): Aedes's own timers must not keep the process alive.
  const listener = await startTlsListener({
    host: config.listen.host,
    port: config.listen.port,
    tls: {
      ...serverOptions(config.initialServerCertificate),
      ...(endpointContexts.size > 0 ? { SNICallback: sniCallback } : {}),
      requestCert: true,
      rejectUnauthorized: false,
      // Devices make full handshakes; session tickets would only cost the server (limits.md: up to 15% of its CPU).
      secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    },
    limits: config.connections,
    broker,
    onCut: (reason, source) => {
      stats.connectionsCut[reason] += 1;
      onEvent({ type: 'broker.connection-cut', t: epoch.now, reason, source, detail: CONNECTION_CUT_DETAIL[reason] });
    },
    onTlsError: (error, source) => {
      stats.tlsErrors += 1;
      if (config.recordDecisions) onEvent(tlsFailureEvent(epoch.now, error, source));
    },
  }).catch(async (error: unknown) => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  });

  return {
    host: dialAddress(config.listen.host),
    port: listener.port,
    useServerCertificate(name) {
      listener.server.setSecureContext({ ...serverOptions(name), secureOptions: cryptoConstants.SSL_OP_NO_TICKET });
    },
    // Aedes keeps its clients in `clients`, not in its typings.
    deviceSessions: () =>
      Object.values((broker as unknown as { clients: Record<string, Client> }).clients).filter((client) => options.roleOf(client) !== 'backend'),
    async close() {
      listener.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
