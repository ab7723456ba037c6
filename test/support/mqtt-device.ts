/**
 * A device as a real MQTT client (mqtt.js, MQTT 3.1.1) dialling a broker over mutual TLS on loopback, for tests that
 * need to send what a well-behaved certfleet device never would: any payload, any CONNECT user name.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { generateKeyPair } from '../../sim/pki/index.js';
import { authorityFromPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';

export interface DeviceIdentity {
  /** PKCS#8 PEM. */
  key: string;
  /** The leaf and the issuing CA, PEM. */
  cert: string;
}

/** A certificate for `cn` from the scenario's `device-ca` (tiny-scenario.ts), valid over [notBefore, notAfter]. */
export function deviceIdentity(pki: ScenarioPki, cn: string, validity: { notBefore: number; notAfter: number }): DeviceIdentity {
  const ca = authorityFromPki(pki, 'device-ca', 7, `test-${cn}-${validity.notBefore}`);
  const keyPair = generateKeyPair('ec-p256');
  const issued = ca.issue({ subject: { CN: cn }, publicKey: keyPair.publicKey, profile: 'device', ...validity });
  return {
    key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: issued.pem + (pki.certificates['device-ca'] ?? ''),
  };
}

export type ConnectOutcome = { ok: true; client: MqttClient } | { ok: false; returnCode: number | undefined; message: string };

/**
 * One CONNECT over TLS with this identity; `username` is sent as is (a certfleet device sends `certfleet-t=<ISO>`).
 * No reconnects: a refusal is the answer. The broker's chain is not checked here (these tests judge the broker).
 */
export function connectDevice(
  address: { host: string; port: number },
  identity: DeviceIdentity,
  options: { clientId: string; username?: string | undefined },
): Promise<ConnectOutcome> {
  const clientOptions: IClientOptions = {
    host: address.host,
    port: address.port,
    protocol: 'mqtts',
    protocolVersion: 4,
    key: identity.key,
    cert: identity.cert,
    rejectUnauthorized: false,
    clientId: options.clientId,
    ...(options.username === undefined ? {} : { username: options.username }),
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  };
  return new Promise((resolve) => {
    const client = connect(clientOptions);
    client.once('connect', () => resolve({ ok: true, client }));
    client.once('error', (error: Error & { code?: unknown }) => {
      client.end(true);
      resolve({ ok: false, returnCode: typeof error.code === 'number' ? error.code : undefined, message: error.message });
    });
    client.once('close', () => resolve({ ok: false, returnCode: undefined, message: 'closed before CONNACK' }));
  });
}

/** Connects, or throws with the broker's answer. */
export async function connectedDevice(
  address: { host: string; port: number },
  identity: DeviceIdentity,
  options: { clientId: string; username?: string | undefined },
): Promise<MqttClient> {
  const outcome = await connectDevice(address, identity, options);
  if (!outcome.ok) throw new Error(`${options.clientId} was refused: ${outcome.message}`);
  return outcome.client;
}

/** Messages a client received, in order, and a way to wait for the next one on a topic. */
export class Inbox {
  readonly #received: { topic: string; payload: Buffer }[] = [];
  readonly #waiters: { topics: readonly string[]; resolve: (message: { topic: string; body: unknown }) => void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      const waiter = this.#waiters.findIndex((w) => w.topics.includes(topic));
      if (waiter >= 0) {
        const [found] = this.#waiters.splice(waiter, 1);
        found?.resolve({ topic, body: JSON.parse(payload.toString()) as unknown });
        return;
      }
      this.#received.push({ topic, payload });
    });
  }

  /** The next message on any of `topics` (one already received first), or undefined after `timeoutMs`. */
  next(topics: readonly string[], timeoutMs = 5_000): Promise<{ topic: string; body: unknown } | undefined> {
    const queued = this.#received.findIndex((m) => topics.includes(m.topic));
    if (queued >= 0) {
      const [found] = this.#received.splice(queued, 1);
      return Promise.resolve(found ? { topic: found.topic, body: JSON.parse(found.payload.toString()) as unknown } : undefined);
    }
    return new Promise((resolve) => {
      const waiter = { topics, resolve: (message: { topic: string; body: unknown } | undefined) => resolve(message) };
      this.#waiters.push(waiter);
      setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index < 0) return;
        this.#waiters.splice(index, 1);
        resolve(undefined);
      }, timeoutMs);
    });
  }

  /** Messages received that nobody waited for. */
  get unclaimed(): readonly { topic: string; payload: Buffer }[] {
    return this.#received;
  }
}

/** Publishes raw bytes at QoS 1, so the broker has taken the message in when this resolves. */
export async function publishRaw(client: MqttClient, topic: string, payload: string | Buffer): Promise<void> {
  await client.publishAsync(topic, payload, { qos: 1 });
}

export function closeDevice(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}
