import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { DeliveryMessage, RotationResponse, SyncResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { createCsr, generateKeyPair, pemToDer } from '../../sim/pki/index.js';
import { authorityFromPki, buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate, Verdict } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { dialBroker, type DialOutcome } from '../../workers/broker-session.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { DAY } from '../support/time.js';

const scenario = tinyScenario();
const T0 = Date.parse('2030-01-15T00:00:00Z');
let pki: ScenarioPki;
let broker: EmbeddedBroker;
const events: FleetEvent[] = [];
const pool = new CertificatePool();

beforeAll(async () => {
  pki = buildScenarioPki(scenario, 7);
  broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), (event) => events.push(event));
  // The coordinator's epoch: every time these devices claim lies in it.
  broker.setEpoch(T0, T0 + 3 * DAY);
});

afterAll(async () => {
  await broker.close();
});

/** A device identity issued by the scenario's device CA (or by `issuer`), valid around T0 unless told otherwise. */
function credentials(cn: string, options: { notBefore?: number; notAfter?: number; issuer?: string } = {}) {
  const ca = authorityFromPki(pki, options.issuer ?? 'device-ca', 7, `test-${cn}`);
  const keyPair = generateKeyPair('ec-p256');
  const issued = ca.issue({
    subject: { CN: cn },
    publicKey: keyPair.publicKey,
    profile: 'device',
    notBefore: options.notBefore ?? T0 - DAY,
    notAfter: options.notAfter ?? T0 + 30 * DAY,
  });
  const chain = options.issuer ? '' : (pki.certificates['device-ca'] ?? '');
  return createSecureContext({ key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: issued.pem + chain });
}

/** What a device trusting `anchors` concludes about the broker's chain at true time t. */
function judgeWith(anchors: string[], t: number) {
  return (chain: ParsedCertificate[]): Verdict => {
    const [leaf, ...presented] = chain;
    if (!leaf) throw new Error('the broker sent no certificate');
    return verifyChainAt({
      leaf,
      presented,
      anchors: anchors.map((name) => pool.parsePem(pki.certificates[name] ?? '')[0] as ParsedCertificate),
      at: t,
      trueTime: t,
      policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
      purpose: 'serverAuth',
      hostname: 'localhost',
      pool,
    });
  };
}

function dial(clientId: string, context = credentials(clientId), options: { t?: number; anchors?: string[] } = {}): Promise<DialOutcome> {
  const t = options.t ?? T0;
  return dialBroker({
    address: broker.host,
    port: broker.port,
    serverName: 'localhost',
    secureContext: context,
    clientId,
    inbox: deviceTopics(clientId).subscription,
    t,
    pool,
    judge: judgeWith(options.anchors ?? ['server-root'], t),
    timeoutMs: 10_000,
  });
}

function admissionsOf(device: string) {
  return events.filter((e): e is Extract<FleetEvent, { type: 'broker.admission' }> => e.type === 'broker.admission' && e.device === device);
}

describe('the embedded broker over mutual TLS', () => {
  it('admits a device whose certificate is valid at the broker clock and whose client id is its CN', async () => {
    const outcome = await dial('device-a');
    expect(outcome.ok).toBe(true);
    if (outcome.ok) {
      expect(outcome.verdict.path.map((c) => c.label)).toEqual(['localhost', 'Test Server CA', 'Test Server Root']);
      await outcome.session.close();
    }
    expect(admissionsOf('device-a')).toEqual([]);
  });

  it('refuses with CONNACK 5 a device whose certificate expired before the connect time, and records expired_leaf', async () => {
    const context = credentials('device-b', { notBefore: T0 - 40 * DAY, notAfter: T0 - DAY });
    const outcome = await dial('device-b', context);
    expect(outcome).toMatchObject({ ok: false, cause: 'connection_refused' });
    expect(admissionsOf('device-b')).toEqual([
      expect.objectContaining({ type: 'broker.admission', t: T0, cause: 'expired_leaf', failed: 'device-b' }),
    ]);
  });

  it('judges the same certificate at the time the device says: valid before its notAfter, expired after', async () => {
    const notAfter = T0 + DAY;
    const before = await dial('device-c', credentials('device-c', { notAfter }), { t: notAfter - 1000 });
    expect(before.ok).toBe(true);
    if (before.ok) await before.session.close();
    const after = await dial('device-c', credentials('device-c', { notAfter }), { t: notAfter + 1000 });
    expect(after).toMatchObject({ ok: false, cause: 'connection_refused' });
    expect(admissionsOf('device-c').map((e) => e.cause)).toEqual(['expired_leaf']);
  });

  it('refuses a client id that differs from the certificate common name', async () => {
    const outcome = await dial('device-d', credentials('somebody-else'));
    expect(outcome).toMatchObject({ ok: false, cause: 'connection_refused' });
    expect(admissionsOf('device-d').map((e) => e.cause)).toEqual(['client_id_mismatch']);
  });

  it('refuses a device certificate from an authority it does not accept as untrusted_root', async () => {
    const outcome = await dial('device-e', credentials('device-e', { issuer: 'server-root' }));
    expect(outcome).toMatchObject({ ok: false, cause: 'connection_refused' });
    expect(admissionsOf('device-e').map((e) => e.cause)).toEqual(['untrusted_root']);
  });

  it('lets a device that does not trust the broker hang up before CONNECT, so the broker records nothing', async () => {
    const outcome = await dial('device-f', credentials('device-f'), { anchors: ['other-root'] });
    expect(outcome).toMatchObject({ ok: false, cause: 'untrusted_root' });
    expect(admissionsOf('device-f')).toEqual([]);
  });

  it('refuses subscriptions outside the device\'s own topics', async () => {
    const outcome = await dial('device-g');
    if (!outcome.ok) throw new Error(`connect failed: ${outcome.cause}`);
    await expect(outcome.session.subscribe(deviceTopics('device-g').subscription)).resolves.toBeUndefined();
    await expect(outcome.session.subscribe(deviceTopics('device-a').subscription)).rejects.toThrow(/refused/);
    await outcome.session.close();
  });

  it('signs a CSR published on the device topic, stamped at the CA clock reading of the request time', async () => {
    const outcome = await dial('device-h');
    if (!outcome.ok) throw new Error(`connect failed: ${outcome.cause}`);
    const topics = deviceTopics('device-h');
    await outcome.session.subscribe(topics.subscription);
    const keyPair = generateKeyPair('ec-p256');
    const csr = createCsr({ subject: { CN: 'device-h' }, keyPair }).toString('base64');
    const reply = await outcome.session.request<RotationResponse>(topics.csr, { requestId: 'r1', t: T0, csr }, topics.certificate, () => true, 10_000);
    await outcome.session.close();
    expect(reply?.ok).toBe(true);
    if (!reply?.ok) return;
    const issued = pool.parse(pemToDer(reply.certificate)[0] as Buffer);
    expect(issued.label).toBe('device-h');
    // The scenario backdates by one hour and issues for 30 days (RFC 5280 4.1.2.5).
    expect(issued.notBefore).toBe(T0 - 3_600_000);
    expect(issued.notAfter).toBe(T0 + 30 * DAY);
    expect(issued.spkiFingerprint).toBe(pool.parse(pemToDer(reply.certificate)[0] as Buffer).spkiFingerprint);
  });

  it('refuses to sign a CSR whose subject is another device', async () => {
    const outcome = await dial('device-i');
    if (!outcome.ok) throw new Error(`connect failed: ${outcome.cause}`);
    const topics = deviceTopics('device-i');
    await outcome.session.subscribe(topics.subscription);
    const csr = createCsr({ subject: { CN: 'device-a' }, keyPair: generateKeyPair('ec-p256') }).toString('base64');
    const reply = await outcome.session.request<RotationResponse>(topics.csr, { requestId: 'r2', t: T0, csr }, topics.certificate, () => true, 10_000);
    await outcome.session.close();
    expect(reply).toEqual({ requestId: 'r2', ok: false, reason: 'subject_mismatch' });
  });

  it('pushes a delivery to an online device and queues one for an offline device until its next sync', async () => {
    const online = await dial('device-j');
    if (!online.ok) throw new Error(`connect failed: ${online.cause}`);
    const topics = deviceTopics('device-j');
    const received: DeliveryMessage[] = [];
    online.session.onMessage(topics.delivery, (_topic, payload) => {
      const body = JSON.parse(payload.toString()) as DeliveryMessage;
      received.push(body);
      void online.session.publish(topics.deliveryAck, { updateId: body.updateId, result: 'applied' });
    });
    await online.session.subscribe(topics.subscription);
    await online.session.request<SyncResponse>(topics.syncRequest, { t: T0 }, topics.syncResponse, () => true, 10_000);

    const outcome = await broker.deliver([
      { kind: 'trust-bundle', updateId: 'u1', deviceId: 'device-j', effectiveAt: T0, add: ['other-root'], remove: [] },
      { kind: 'trust-bundle', updateId: 'u2', deviceId: 'device-k', effectiveAt: T0, add: ['other-root'], remove: [] },
    ]);
    expect(outcome).toEqual({ pushed: 1, queued: 1 });
    expect(received.map((m) => m.updateId)).toEqual(['u1']);
    await online.session.close();

    const later = await dial('device-k');
    if (!later.ok) throw new Error(`connect failed: ${later.cause}`);
    const k = deviceTopics('device-k');
    await later.session.subscribe(k.subscription);
    const sync = await later.session.request<SyncResponse>(k.syncRequest, { t: T0 }, k.syncResponse, () => true, 10_000);
    await later.session.close();
    expect(sync?.deliveries.map((m) => m.updateId)).toEqual(['u2']);
    // A run records no delivery as an event (BrokerConfig.recordDecisions is off): its events.ndjson stays as it was.
    expect(events.filter((e) => e.type === 'broker.delivery')).toEqual([]);
  });

  it('serves a new chain to new handshakes after a server-certificate switch', async () => {
    broker.applyEvent({ at: T0, kind: 'server-certificate', use: 'broker-other' });
    try {
      const oldTrust = await dial('device-l', credentials('device-l'), { anchors: ['server-root'] });
      expect(oldTrust).toMatchObject({ ok: false, cause: 'untrusted_root' });
      const newTrust = await dial('device-l', credentials('device-l'), { anchors: ['other-root'] });
      expect(newTrust.ok).toBe(true);
      if (newTrust.ok) await newTrust.session.close();
    } finally {
      broker.applyEvent({ at: T0, kind: 'server-certificate', use: 'broker' });
    }
  });

  it('refuses devices under a revoked issuing CA from the revocation time on', async () => {
    const context = credentials('device-m');
    const before = await dial('device-m', context, { t: T0 });
    expect(before.ok).toBe(true);
    if (before.ok) await before.session.close();
    broker.applyEvent({ at: T0 + DAY, kind: 'revoke-authority', authority: 'device-ca' });
    const after = await dial('device-m', context, { t: T0 + 2 * DAY });
    expect(after).toMatchObject({ ok: false, cause: 'connection_refused' });
    expect(admissionsOf('device-m').map((e) => e.cause)).toEqual(['revoked']);
  });

  it('never finds a device that disconnects and reconnects at once still holding its old session', async () => {
    // DISCONNECT resolves once the broker has closed the connection, and the broker counts a session live until its
    // socket closes: however loaded the machine, the next CONNECT is not a second live session with that client id.
    const context = credentials('device-r');
    for (let i = 0; i < 10; i += 1) {
      const outcome = await dial('device-r', context, { t: T0 + i * 1000 });
      if (!outcome.ok) throw new Error(`connect failed: ${outcome.cause}`);
      await outcome.session.close();
    }
    const findings = broker.audit(T0 + 10_000).filter((f) => f.check === 'CONFLICTING_CLIENT_IDS' || f.check === 'DEVICE_CERT_SHARED');
    expect(findings.flatMap((f) => f.resources)).not.toContain('device-r');
  });

  it('answers a request on a session the broker took over at once, without waiting for the wall-clock guard', async () => {
    const context = credentials('device-s');
    const first = await dial('device-s', context);
    if (!first.ok) throw new Error(`connect failed: ${first.cause}`);
    // [MQTT-3.1.4-2] a second CONNECT with the same client id ends the first session.
    const second = await dial('device-s', context, { t: T0 + 1000 });
    if (!second.ok) throw new Error(`connect failed: ${second.cause}`);
    const topics = deviceTopics('device-s');
    // A guard far beyond the test's own timeout: only an answer "no reply can come" lets this finish in time.
    await expect(first.session.request(topics.syncRequest, { t: T0 + 2000 }, topics.syncResponse, () => true, 600_000)).resolves.toBeUndefined();
    expect(first.session.ended).toBe(true);
    await second.session.close();
  });
});
