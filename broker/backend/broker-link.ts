import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { MqttClient } from 'mqtt';
import { HarnessStalledError } from '../../sim/harness/harness-stalled-error.js';
import { peerChain } from '../../sim/tls/peer-chain.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { topicMatchesFilter } from './topic-filter.js';

/** The backend's only view of a broker: an MQTT client's subscribe, publish and close. */
export interface BrokerLink {
  /** Subscribes at QoS 1; resolves on SUBACK, rejects when the broker refuses the filter (0x80). */
  subscribe(filter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void>;
  /** Publishes at QoS 1; resolves on PUBACK. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface BrokerLinkOptions {
  host: string;
  port: number;
  /** The name the backend expects the broker's certificate to carry (SNI unless it is an IP literal). */
  serverName: string;
  clientId: string;
  keyPem: string;
  /** The backend's certificate followed by its chain, PEM. */
  certificateChainPem: string;
  pool: CertificatePool;
  /**
   * The backend's verdict on the chain the broker presented: undefined to go on, or why not. Node's TLS can only
   * judge at the host clock, and a scenario's broker may run at another, so the caller judges at the broker's.
   */
  checkServer: (chain: ParsedCertificate[]) => string | undefined;
  /** Wall-clock guard for the handshake and CONNACK: a broker that says nothing this long means the harness stalled. */
  timeoutMs: number;
}

/**
 * Connects the backend to the broker as an MQTT 3.1.1 client (mqtt.js) over mutual TLS. The TLS handshake and the
 * check of the broker's chain come first, on a socket of our own, so no CONNECT is sent to a broker the backend has
 * not accepted; mqtt.js then runs the session on that socket. No automatic reconnect: a backend that lost its broker
 * mid-run would have lost requests in flight, so the link says so (every later publish rejects) instead of hiding it.
 */
export async function connectBrokerLink(options: BrokerLinkOptions): Promise<ReconnectableBrokerLink> {
  const routes: { filter: string; onMessage: (topic: string, payload: Buffer) => void }[] = [];
  const route = (topic: string, payload: Buffer) => {
    for (const r of routes) if (topicMatchesFilter(r.filter, topic)) r.onMessage(topic, payload);
  };
  const subscribeOn = async (session: MqttClient, filter: string) => {
    const granted = await session.subscribeAsync(filter, { qos: 1 });
    // [MQTT-3.9.3] 0x80 in the SUBACK: the broker refused the filter.
    if (granted.some((g) => g.qos === 0x80)) throw new Error(`the broker refused the backend's subscription to ${filter}`);
  };
  let client = await openSession(options, route);
  return {
    async subscribe(filter, onMessage) {
      await subscribeOn(client, filter);
      routes.push({ filter, onMessage });
    },
    async publish(topic, payload) {
      if (client.disconnected || client.disconnecting) throw new Error(`publish to ${topic} failed: the backend's session has ended`);
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    async reconnect() {
      client.end(true);
      client = await openSession(options, route);
      // A new clean session holds no subscriptions: the backend asks again for everything it served.
      for (const r of routes) await subscribeOn(client, r.filter);
    },
    async close() {
      await client.endAsync();
    },
  };
}

/** A link that can dial its broker again: after a restart of a broker certfleet runs (Mosquitto), sessions are gone. */
export interface ReconnectableBrokerLink extends BrokerLink {
  /** Opens a new session on a new verified connection and subscribes again to every filter. */
  reconnect(): Promise<void>;
}

/** One MQTT session on a verified connection, messages handed to `onMessage`. */
async function openSession(options: BrokerLinkOptions, onMessage: (topic: string, payload: Buffer) => void): Promise<MqttClient> {
  const socket = await verifiedSocket(options);
  const client = new MqttClient(() => socket, {
    clientId: options.clientId,
    protocolVersion: 4,
    clean: true,
    // A keepalive is wall-clock traffic; the broker's own limits decide when an idle client goes.
    keepalive: 0,
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    resubscribe: false,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new HarnessStalledError(`backend: no CONNACK within ${options.timeoutMs} ms`)), options.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      client.end(true);
      reject(error);
    };
    client.once('connect', () => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      resolve();
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('the broker closed the backend connection before CONNACK')));
  });
  client.removeAllListeners('close');
  // After CONNACK an error ends the session; requests then fail on their own (publish rejects).
  client.on('error', () => undefined);
  client.on('message', onMessage);
  return client;
}

/** A mutual-TLS socket to the broker whose chain `checkServer` accepted. */
function verifiedSocket(options: BrokerLinkOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(options.serverName);
    const socket = tlsConnect({
      host: options.host,
      port: options.port,
      key: options.keyPem,
      cert: options.certificateChainPem,
      // Judged below at the broker's clock (Node would judge at the host's).
      rejectUnauthorized: false,
      // RFC 6066 3: SNI carries host names only, never IP literals.
      ...(isIp ? {} : { servername: options.serverName }),
    });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new HarnessStalledError(`backend: no TLS handshake with the broker within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`backend: TLS connection to the broker failed: ${error.message}`));
    };
    socket.once('error', failed);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeListener('error', failed);
      const refusal = options.checkServer(peerChain(socket, options.pool));
      if (refusal !== undefined) {
        socket.destroy();
        reject(new Error(`backend: the broker's certificate chain was refused: ${refusal}`));
        return;
      }
      resolve(socket);
    });
  });
}
