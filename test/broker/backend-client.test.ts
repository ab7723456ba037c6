/**
 * The backend as a client of the broker: it connects over mutual TLS with its own identity, serves devices only
 * through the broker, is recognised by its certificate and not its CN, and is confined to its topics; presence comes
 * from the devices' own notices, so a device that said it left gets its delivery queued, never pushed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedesBroker, type AedesBroker } from '../../broker/aedes-broker.js';
import { startBackend, type Backend } from '../../broker/backend/backend.js';
import { issueBackendIdentity, type BackendIdentity } from '../../broker/backend/backend-identity.js';
import { connectBrokerLink, type BrokerLink } from '../../broker/backend/broker-link.js';
import { scenarioBrokerCheck } from '../../broker/backend/broker-chain-check.js';
import { brokerConfigFrom, type BrokerConfig } from '../../broker/broker-config.js';
import { DeviceRegistry } from '../../broker/device-registry.js';
import { CapacityGate } from '../../broker/limits/capacity-gate.js';
import { RevocationRegistry } from '../../broker/revocation-registry.js';
import { simTimeUsername, type DeliveryMessage, type RotationResponse, type SyncResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { Delivery } from '../../sim/plan/fleet-plan.js';
import { createCsr, generateKeyPair } from '../../sim/pki/index.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { dialBroker, type BrokerSession } from '../../workers/broker-session.js';
import { closeDevice, connectDevice, connectedDevice, deviceIdentity, Inbox, type DeviceIdentity } from '../support/mqtt-device.js';
import { ROOT } from '../support/cli.js';
import { DAY, HOUR } from '../support/time.js';
import { subackCodes } from '../support/suback-codes.js';
import { tinyScenario } from '../support/tiny-scenario.js';

const scenario = tinyScenario();
const T0 = Date.parse('2030-01-15T00:00:00Z');
const pool = new CertificatePool();
let pki: ScenarioPki;
let config: BrokerConfig;

/** A broker (Aedes) that admits `identity` as the backend, and, unless told otherwise, the backend on it. */
async function brokerWithBackend(identity: BackendIdentity, options: { backend: boolean; recordPublishes?: string[] }) {
  const events: FleetEvent[] = [];
  const registry = new DeviceRegistry();
  const revocations = new RevocationRegistry();
  const capacity = new CapacityGate(config.limits, config.shards, config.deviceIndex);
  const broker = await startAedesBroker(config, { pool, registry, revocations, capacity, backend: { clientId: identity.clientId, fingerprint: identity.fingerprint } }, (e) => events.push(e));
  broker.setEpoch(T0, T0 + HOUR);
  if (!options.backend) return { broker, backend: undefined, events };
  const link = await connectBrokerLink({
    host: broker.host,
    port: broker.port,
    serverName: config.serverName,
    clientId: identity.clientId,
    keyPem: identity.keyPem,
    certificateChainPem: identity.certificatePem + identity.chainPems.join(''),
    pool,
    checkServer: scenarioBrokerCheck({ pki, serverCertificates: ['broker'], serverName: config.serverName, pool, clockReading: () => T0 }),
    timeoutMs: 10_000,
  });
  const backend = await startBackend(config, recording(link, options.recordPublishes), {
    pool,
    registry,
    revocations,
    issuanceSlot: (_id, t) => t,
    registrationSlot: (_id, t) => t,
    deviceAuthorities: () => broker.deviceAuthorities(),
    sessionRoleOf: (id) => broker.sessionRoleOf(id),
    concurrentUse: broker.concurrentUse,
  }, (e) => events.push(e));
  backend.setEpoch(T0, T0 + HOUR);
  return { broker, backend, events };
}

/** The link as it is, noting the topic of every publish that goes through it. */
function recording(link: BrokerLink, into: string[] | undefined): BrokerLink {
  if (!into) return link;
  return { ...link, publish: (topic, payload) => (into.push(topic), link.publish(topic, payload)) };
}

function identityOf(): BackendIdentity {
  return issueBackendIdentity({ pki, issuer: 'device-ca', chain: ['device-ca'], seed: 7, timeline: config.timeline, pool });
}

function device(address: { host: string; port: number }, clientId: string, identity: DeviceIdentity = deviceIdentity(pki, clientId, { notBefore: T0 - DAY, notAfter: T0 + 30 * DAY })): Promise<MqttClient> {
  return connectedDevice(address, identity, { clientId, username: simTimeUsername(T0) });
}

/** A device's CSR rotation through the broker: the CA's answer on the device's certificate topic. */
async function rotate(address: { host: string; port: number }, clientId: string): Promise<RotationResponse | undefined> {
  const client = await device(address, clientId);
  const topics = deviceTopics(clientId);
  await client.subscribeAsync(topics.subscription, { qos: 0 });
  const inbox = new Inbox(client);
  const csr = createCsr({ subject: { CN: clientId }, keyPair: generateKeyPair('ec-p256') }).toString('base64');
  client.publish(topics.csr, JSON.stringify({ requestId: `${clientId}-1`, t: T0, csr }), { qos: 0 });
  const reply = (await inbox.next([topics.certificate]))?.body as RotationResponse | undefined;
  await closeDevice(client);
  return reply;
}

beforeAll(() => {
  pki = buildScenarioPki(scenario, 7);
  config = brokerConfigFrom(scenario, pki, 7);
});

describe('the backend over mutual TLS', () => {
  let broker: AedesBroker;
  let backend: Backend | undefined;
  let events: FleetEvent[];

  beforeAll(async () => {
    ({ broker, backend, events } = await brokerWithBackend(identityOf(), { backend: true }));
  });

  afterAll(async () => {
    await backend?.close();
    await broker.close();
  });

  it('connects with its own identity and serves a device\'s CSR through the broker', async () => {
    const reply = await rotate(broker, 'device-a');
    expect(reply).toMatchObject({ requestId: 'device-a-1', ok: true, issuedAt: T0 });
    expect(backend?.stats().issued).toBe(1);
    // The backend's session is not a device's: it is neither admitted as one nor counted among them.
    expect(broker.stats().admitted).toBe(1);
    expect(broker.stats().connected).toBe(0);
    expect(broker.sessionRoleOf('certfleet-backend')).toBeUndefined();
  });

  it('is not whoever presents its CN: a certificate for certfleet-backend with another key is refused, and the backend keeps serving', async () => {
    const impostor = deviceIdentity(pki, 'certfleet-backend', { notBefore: T0 - DAY, notAfter: T0 + 30 * DAY });
    const outcome = await connectDevice(broker, impostor, { clientId: 'certfleet-backend', username: simTimeUsername(T0) });
    // CONNACK 5, "not authorized" (MQTT 3.1.1 3.2.2.3): admitting it would have taken the backend's session over.
    expect(outcome).toMatchObject({ ok: false, returnCode: 5 });
    expect(broker.stats().refused.client_id_mismatch).toBe(1);
    expect(events.filter((e) => e.type === 'broker.admission').map((e) => e.type === 'broker.admission' && [e.device, e.cause])).toEqual([
      ['certfleet-backend', 'client_id_mismatch'],
    ]);
    expect(await rotate(broker, 'device-b')).toMatchObject({ ok: true });
  });
});

describe('the backend\'s topics', () => {
  let broker: AedesBroker;
  let identity: BackendIdentity;
  let asBackend: MqttClient;

  beforeAll(async () => {
    identity = identityOf();
    ({ broker } = await brokerWithBackend(identity, { backend: false }));
  });

  afterAll(async () => {
    await broker.close();
  });

  /** A fresh session with the backend's own certificate (an offending publish ends it). */
  async function backendSession(): Promise<MqttClient> {
    asBackend = await connectedDevice(broker, { key: identity.keyPem, cert: identity.certificatePem + identity.chainPems.join('') }, { clientId: identity.clientId });
    return asBackend;
  }

  it.each(['#', '$SYS/#', 'devices/#', 'devices/+/#', 'devices/+/rotation/cert', 'devices/+/sync/response', 'devices/+/+/csr', 'backend/#'])(
    'refuses a subscription to %s with SUBACK 0x80',
    async (filter) => {
      const client = asBackend?.connected ? asBackend : await backendSession();
      const before = broker.stats().topicDenied;
      expect(await subackCodes(client, filter)).toEqual([0x80]);
      expect(broker.stats().topicDenied).toBe(before + 1);
    },
  );

  it.each(['devices/+/rotation/csr', 'devices/+/$aws/things/+/jobs/+/update', 'devices/+/$aws/provisioning-templates/+/provision/json', 'devices/+/presence/offline', 'devices/device-a/sync/request'])(
    'grants a subscription to the device requests %s',
    async (filter) => {
      const client = asBackend?.connected ? asBackend : await backendSession();
      expect(await subackCodes(client, filter)).toEqual([1]);
    },
  );

  it.each([
    ['devices/device-a/rotation/csr', "a device's request (forging one)"],
    ['devices/device-a/presence/offline', "a device's offline notice"],
    ['backend/anything', 'a topic outside every device prefix'],
    ['$SYS/broker/uptime', "the broker's own topics"],
  ])('may not publish to %s (%s): its session is closed and the refusal counted', async (topic) => {
    const client = await backendSession();
    const before = broker.stats().topicDenied;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topic, '{}', { qos: 1 });
    await closed;
    expect(broker.stats().topicDenied).toBe(before + 1);
  });

  it('publishes a reply on a device\'s reply topic, which reaches the device', async () => {
    const alice = await device(broker, 'device-alice');
    await alice.subscribeAsync('devices/device-alice/#', { qos: 0 });
    const inbox = new Inbox(alice);
    const client = await backendSession();
    await client.publishAsync('devices/device-alice/rotation/cert', JSON.stringify({ ok: false, reason: 'test' }), { qos: 1 });
    expect(await inbox.next(['devices/device-alice/rotation/cert'])).toMatchObject({ body: { ok: false, reason: 'test' } });
    await closeDevice(alice);
    await closeDevice(client);
  });
});

describe('presence from the devices\' own notices', () => {
  const DEVICES = 120;
  let broker: AedesBroker;
  let backend: Backend | undefined;
  const published: string[] = [];
  /** Every offline notice the devices of these tests published: whether the broker acknowledged it. */
  const notices: Promise<boolean>[] = [];
  /** The notices acknowledged so far, as a shard counts them for the coordinator. */
  const acknowledgedSoFar = async () => (await Promise.all(notices)).filter(Boolean).length;

  beforeAll(async () => {
    ({ broker, backend } = await brokerWithBackend(identityOf(), { backend: true, recordPublishes: published }));
  });

  afterAll(async () => {
    await backend?.close();
    await broker.close();
  });

  /** A certfleet device session (workers/broker-session.ts) that synced, acknowledging whatever is pushed to it. */
  async function onlineDevice(id: string): Promise<{ session: BrokerSession; sync: SyncResponse }> {
    const identity = deviceIdentity(pki, id, { notBefore: T0 - DAY, notAfter: T0 + 30 * DAY });
    const topics = deviceTopics(id);
    const outcome = await dialBroker({
      address: broker.host,
      port: broker.port,
      serverName: 'localhost',
      secureContext: createSecureContext({ key: identity.key, cert: identity.cert }),
      clientId: id,
      inbox: topics.subscription,
      t: T0,
      pool,
      judge: (chain: ParsedCertificate[]) =>
        verifyChainAt({
          leaf: chain[0] as ParsedCertificate,
          presented: chain.slice(1),
          anchors: [pool.parsePem(pki.certificates['server-root'] ?? '')[0] as ParsedCertificate],
          at: T0,
          policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
          purpose: 'serverAuth',
          hostname: 'localhost',
          pool,
        }),
      timeoutMs: 10_000,
      presence: { offlineTopic: topics.offline, onNotice: (acknowledged) => void notices.push(acknowledged) },
    });
    if (!outcome.ok) throw new Error(`${id} was refused: ${outcome.cause}`);
    const session = outcome.session;
    session.onMessage(topics.delivery, (_topic, payload) => {
      const message = JSON.parse(payload.toString()) as DeliveryMessage;
      void session.publish(topics.deliveryAck, { updateId: message.updateId, result: 'received' });
    });
    const sync = await session.request<SyncResponse>(topics.syncRequest, { t: T0, session: session.announceOnline() }, topics.syncResponse, () => true, 10_000);
    if (!sync) throw new Error(`${id}: no answer to its sync request`);
    return { session, sync };
  }

  it('takes a device whose session was taken over offline on the notice its later session sends, and serves the later one once it syncs', async () => {
    const id = 'device-t000';
    const first = await onlineDevice(id);
    // The same client id connects again ([MQTT-3.1.4-2]: the broker ends the first session); the later session
    // reports the earlier one before it syncs, as a device's bootstrap session taking over its operational one does.
    const second = await onlineDevice(id);
    first.session.reportTakenOver(second.session);
    expect(await Promise.all(notices)).toEqual([true]);
    backend?.offlineNoticesSent(await acknowledgedSoFar());
    // The notice named the first session; the device is online in the second, which synced: pushed to it.
    const outcome = await backend?.deliver([{ kind: 'trust-bundle', updateId: 'u-t', deviceId: id, effectiveAt: T0, add: ['other-root'], remove: [] }]);
    expect(outcome).toEqual({ pushed: 1, queued: 0 });
    await second.session.close();
  });

  it('queues, never pushes, the delivery of every device that published its offline notice, however late the notices arrive', async () => {
    const ids = Array.from({ length: DEVICES }, (_, i) => `device-p${String(i).padStart(3, '0')}`);
    const sessions = (await Promise.all(ids.map((id) => onlineDevice(id)))).map((d) => d.session);
    const before = await acknowledgedSoFar();
    // Every other device leaves at once (offline notice at QoS 1, then DISCONNECT); the rest stay.
    const leaving = ids.filter((_, i) => i % 2 === 0);
    const closing = sessions.filter((_, i) => i % 2 === 0).map((s) => s.close());
    // Delivering as soon as the broker has acknowledged every notice (as a shard reports its epoch), while the
    // notices may still be on their way from the broker to the backend.
    const acknowledged = await acknowledgedSoFar();
    expect(acknowledged - before).toBe(leaving.length);
    // The shards' count of acknowledged notices, as the coordinator passes it on; delivering right away.
    backend?.offlineNoticesSent(acknowledged);
    const deliveries: Delivery[] = ids.map((id) => ({ kind: 'trust-bundle', updateId: `u-${id}`, deviceId: id, effectiveAt: T0, add: ['other-root'], remove: [] }));
    const outcome = await backend?.deliver(deliveries);

    await Promise.all(closing);
    expect(outcome).toEqual({ pushed: DEVICES - leaving.length, queued: leaving.length });
    const pushedTo = new Set(published.filter((t) => t.endsWith('/delivery')).map((t) => t.split('/')[1]).filter((id) => id?.startsWith('device-p')));
    for (const id of leaving) expect(pushedTo.has(id)).toBe(false);
    expect(pushedTo.size).toBe(DEVICES - leaving.length);
    await Promise.all(sessions.filter((_, i) => i % 2 === 1).map((s) => s.close()));

    // A device that left gets its delivery in the answer to its next sync.
    const back = await onlineDevice(leaving[0] as string);
    expect(back.sync.deliveries.map((m) => m.updateId)).toEqual([`u-${leaving[0] ?? ''}`]);
    await back.session.close();
  }, 60_000);
});

describe('the backend\'s code', () => {
  it('imports nothing from aedes: the backend and its services know the broker only as a BrokerLink', () => {
    const services = ['subscribe-json', 'publish-json', 'rotation-service', 'fleet-provisioning-service', 'delivery-service', 'renewal-orchestrator', 'job-rotation-service', 'planned-deliveries', 'device-ca', 'device-registry', 'request-guard'].map(
      (name) => join(ROOT, 'broker', `${name}.ts`),
    );
    const backend = readdirSync(join(ROOT, 'broker', 'backend')).map((name) => join(ROOT, 'broker', 'backend', name));
    const importing = [...services, ...backend].filter((file) => /from ['"]aedes['"]/.test(readFileSync(file, 'utf8')));
    expect(importing).toEqual([]);
    // The broker itself does use aedes: the check reads the files it means to.
    expect(readFileSync(join(ROOT, 'broker', 'aedes-broker.ts'), 'utf8')).toMatch(/from 'aedes'/);
  });
});
