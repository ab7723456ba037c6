/**
 * A short `certfleet broker` session recorded by a DecisionLog from the embedded broker over real TLS, for the
 * decision log and session report tests: one client admitted (it syncs, takes a pushed trust bundle and acknowledges
 * it, has a CSR signed and one naming another device refused), a trust bundle queued for an offline client and handed
 * over when it syncs, one client refused for a certificate expired at the broker's clock, one refused for sending no
 * certificate, and one `openssl s_client` that rejects the broker's chain with a TLS alert before MQTT.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker } from '../../broker/embedded-broker.js';
import type { RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import { createCsr, generateKeyPair } from '../../sim/pki/index.js';
import { DecisionLog } from '../../sim/results/decision-log.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { closeDevice, connectDevice, connectedDevice, deviceIdentity, Inbox, publishRaw } from './mqtt-device.js';
import { tinyScenario } from './tiny-scenario.js';
import { DAY } from './time.js';

/** The broker's simulated clock through the whole session. */
export const SESSION_T0 = Date.parse('2030-01-15T00:00:00Z');

export interface RecordedSession {
  /** The human lines the log wrote, in order. */
  stderr: string[];
  /** The certificate the CA issued to device-0001, PEM. */
  issuedPem: string;
  /** device-0002's certificate's notAfter, a second before the broker's clock. */
  expiredNotAfter: number;
}

export async function recordBrokerSession(dir: string): Promise<RecordedSession> {
  const scenario = tinyScenario();
  const pki = buildScenarioPki(scenario, 7);
  const stderr: string[] = [];
  const log = await DecisionLog.open(dir, {
    stderr: (line) => stderr.push(line),
    session: { scenario: scenario.name, seed: 7, simulatedStart: SESSION_T0 },
  });
  const broker = await startEmbeddedBroker({ ...brokerConfigFrom(scenario, pki, 7), recordDecisions: true }, log.onEvent);
  try {
    // The broker's clock stands at T0: clients that claim no time (these send no user name) are judged there.
    broker.setEpoch(SESSION_T0, SESSION_T0 + DAY);
    const address = { host: broker.host, port: broker.port };

    const valid = deviceIdentity(pki, 'device-0001', { notBefore: SESSION_T0 - DAY, notAfter: SESSION_T0 + 30 * DAY });
    const client = await connectedDevice(address, valid, { clientId: 'device-0001' });
    const topics = deviceTopics('device-0001');
    const inbox = new Inbox(client);
    await client.subscribeAsync(topics.subscription, { qos: 1 });
    await publishRaw(client, topics.syncRequest, JSON.stringify({ t: SESSION_T0 }));
    if (!(await inbox.next([topics.syncResponse], 10_000))) throw new Error('no sync response');
    // A trust bundle pushed to the online client, which acknowledges it.
    const acknowledged = inbox.next([topics.delivery], 10_000).then(async (message) => {
      const updateId = (message?.body as { updateId?: string } | undefined)?.updateId ?? 'none';
      await publishRaw(client, topics.deliveryAck, JSON.stringify({ updateId, result: 'applied' }));
    });
    const delivered = await broker.deliver([{ kind: 'trust-bundle', updateId: 'bundle-1', deviceId: 'device-0001', effectiveAt: SESSION_T0, add: ['other-root'], remove: [] }]);
    await acknowledged;
    if (delivered.pushed !== 1) throw new Error(`the trust bundle was not pushed: ${JSON.stringify(delivered)}`);
    const csr = createCsr({ subject: { CN: 'device-0001' }, keyPair: generateKeyPair('ec-p256') }).toString('base64');
    await publishRaw(client, topics.csr, JSON.stringify({ requestId: 'r1', t: SESSION_T0, csr }));
    const reply = (await inbox.next([topics.certificate], 10_000))?.body as RotationResponse | undefined;
    if (!reply?.ok) throw new Error(`the CSR was not signed: ${JSON.stringify(reply)}`);
    // A CSR naming another device is refused (subject_mismatch).
    const foreign = createCsr({ subject: { CN: 'device-0009' }, keyPair: generateKeyPair('ec-p256') }).toString('base64');
    await publishRaw(client, topics.csr, JSON.stringify({ requestId: 'r2', t: SESSION_T0, csr: foreign }));
    if ((await inbox.next([topics.certificate], 10_000))?.body === undefined) throw new Error('no answer to the foreign CSR');
    await closeDevice(client);

    // A trust bundle for a client that is offline waits for it, and goes with the answer to its sync request.
    await broker.deliver([{ kind: 'trust-bundle', updateId: 'bundle-2', deviceId: 'device-0003', effectiveAt: SESSION_T0, add: ['other-root'], remove: [] }]);
    const later = await connectedDevice(address, deviceIdentity(pki, 'device-0003', { notBefore: SESSION_T0 - DAY, notAfter: SESSION_T0 + 30 * DAY }), { clientId: 'device-0003' });
    const laterTopics = deviceTopics('device-0003');
    const laterInbox = new Inbox(later);
    await later.subscribeAsync(laterTopics.subscription, { qos: 1 });
    await publishRaw(later, laterTopics.syncRequest, JSON.stringify({ t: SESSION_T0 }));
    if (!(await laterInbox.next([laterTopics.syncResponse], 10_000))) throw new Error('no sync response');
    await closeDevice(later);

    const expiredNotAfter = SESSION_T0 - 1000;
    const expired = deviceIdentity(pki, 'device-0002', { notBefore: SESSION_T0 - 30 * DAY, notAfter: expiredNotAfter });
    const refused = await connectDevice(address, expired, { clientId: 'device-0002' });
    if (refused.ok) throw new Error('the expired certificate was admitted');

    // A client that sends no certificate completes the handshake (the broker asks for one, RFC 8446 4.3.2) and is
    // refused at CONNECT.
    const anonymous = await connectAnonymously(address, 'device-0004');
    if (anonymous) throw new Error('a client without a certificate was admitted');

    await rejectBrokerChain(address, pki.certificates['other-root'] ?? '');
    return { stderr, issuedPem: reply.certificate, expiredNotAfter };
  } finally {
    await broker.close();
    await log.close({ reached: SESSION_T0 });
  }
}

/** An MQTT CONNECT over TLS without a client certificate: whether the broker admitted it. */
function connectAnonymously(address: { host: string; port: number }, clientId: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = connect({ ...address, protocol: 'mqtts', protocolVersion: 4, rejectUnauthorized: false, clientId, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.once('connect', () => {
      client.end(true);
      resolve(true);
    });
    client.once('error', () => {
      client.end(true);
      resolve(false);
    });
    client.once('close', () => resolve(false));
  });
}

/**
 * `openssl s_client` trusting only another root: OpenSSL fails the handshake on the broker's chain and sends the
 * unknown_ca alert (RFC 8446 6.2), as mosquitto_pub would.
 */
function rejectBrokerChain(address: { host: string; port: number }, caPem: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-other-root-'));
  const caFile = join(work, 'other-root.pem');
  writeFileSync(caFile, caPem);
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `${address.host}:${address.port}`, '-servername', 'localhost', '-CAfile', caFile, '-verify_return_error', '-brief'],
      { timeout: 20_000 },
      () => {
        rmSync(work, { recursive: true, force: true });
        resolve();
      },
    );
    child.stdin?.end();
  });
}
