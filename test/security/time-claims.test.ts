import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { simTimeUsername, type CreateFromCsrReply, type RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics, fleetProvisioningTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { createCsr, generateKeyPair, pemToDer, toPem } from '../../sim/pki/index.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { readEventLines } from '../support/event-lines.js';
import { closeDevice, connectDevice, connectedDevice, deviceIdentity, Inbox, publishRaw } from '../support/mqtt-device.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';
import { DAY, HOUR, MINUTE } from '../support/time.js';

/** The epoch the coordinator has opened: [FROM, TO). */
const FROM = Date.parse('2030-01-15T00:00:00Z');
const TO = FROM + 6 * HOUR;
/** A device's own scheduled time inside it. */
const INSIDE = FROM + 30 * MINUTE;

let pki: ScenarioPki;
let broker: EmbeddedBroker;
const events: FleetEvent[] = [];
const pool = new CertificatePool();

beforeAll(async () => {
  const scenario = tinyScenario();
  pki = buildScenarioPki(scenario, 7);
  broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), (event) => events.push(event));
  broker.setEpoch(FROM, TO);
});

afterAll(async () => {
  await broker.close();
});

const admissionsOf = (device: string) =>
  events.filter((e): e is Extract<FleetEvent, { type: 'broker.admission' }> => e.type === 'broker.admission' && e.device === device);
const issuancesOf = (device: string) => events.filter((e) => e.type === 'broker.issuance' && e.device === device);
const csrOf = (cn: string) => createCsr({ subject: { CN: cn }, keyPair: generateKeyPair('ec-p256') }).toString('base64');

describe('the time a client claims in its CONNECT user name', () => {
  it('refuses with CONNACK 5 an expired certificate that claims a time two days earlier, at the broker\'s time', async () => {
    const expired = deviceIdentity(pki, 'device-old', { notBefore: FROM - 30 * DAY, notAfter: FROM - DAY });
    const refusedBefore = broker.stats().refused.time_claim_outside_epoch ?? 0;
    const outcome = await connectDevice(broker, expired, { clientId: 'device-old', username: simTimeUsername(FROM - 2 * DAY) });
    expect(outcome).toMatchObject({ ok: false, returnCode: 5 });
    expect(admissionsOf('device-old')).toEqual([
      expect.objectContaining({ t: FROM, cause: 'time_claim_outside_epoch', claimed: new Date(FROM - 2 * DAY).toISOString() }),
    ]);
    expect(broker.stats().refused.time_claim_outside_epoch).toBe(refusedBefore + 1);
  });

  it('refuses a not-yet-valid certificate that claims a later time', async () => {
    const early = deviceIdentity(pki, 'device-early', { notBefore: FROM + 2 * DAY, notAfter: FROM + 30 * DAY });
    const outcome = await connectDevice(broker, early, { clientId: 'device-early', username: simTimeUsername(FROM + 3 * DAY) });
    expect(outcome).toMatchObject({ ok: false, returnCode: 5 });
    expect(admissionsOf('device-early').map((e) => e.cause)).toEqual(['time_claim_outside_epoch']);
  });

  it('refuses a claim at the end of the epoch, which belongs to the next one, and one it cannot read', async () => {
    const identity = deviceIdentity(pki, 'device-edge', { notBefore: FROM - DAY, notAfter: FROM + 30 * DAY });
    for (const username of [simTimeUsername(TO), 'certfleet-t=yesterday', 'certfleet-t=2030-01-15', 'certfleet-t=']) {
      const outcome = await connectDevice(broker, identity, { clientId: 'device-edge', username });
      expect({ username, outcome }).toMatchObject({ username, outcome: { ok: false, returnCode: 5 } });
    }
    expect(admissionsOf('device-edge').map((e) => e.claimed)).toEqual([new Date(TO).toISOString(), 'yesterday', '2030-01-15', '']);
  });

  it('judges a client that claims no time at the broker\'s current time: the start of the epoch', async () => {
    const valid = deviceIdentity(pki, 'device-plain', { notBefore: FROM - DAY, notAfter: FROM + DAY });
    const admitted = await connectedDevice(broker, valid, { clientId: 'device-plain' });
    await closeDevice(admitted);
    const lapsed = deviceIdentity(pki, 'device-lapsed', { notBefore: FROM - DAY, notAfter: FROM - 1000 });
    const refused = await connectDevice(broker, lapsed, { clientId: 'device-lapsed', username: 'not-a-certfleet-device' });
    expect(refused).toMatchObject({ ok: false, returnCode: 5 });
    expect(admissionsOf('device-lapsed')).toEqual([expect.objectContaining({ t: FROM, cause: 'expired_leaf' })]);
  });

  it('admits a claim inside the epoch, judged at that time', async () => {
    // Valid only from the claimed time on: the broker judged at INSIDE, not at the epoch's start.
    const identity = deviceIdentity(pki, 'device-on-time', { notBefore: INSIDE - MINUTE, notAfter: FROM + 30 * DAY });
    const client = await connectedDevice(broker, identity, { clientId: 'device-on-time', username: simTimeUsername(INSIDE) });
    expect(client.connected).toBe(true);
    await closeDevice(client);
    expect(admissionsOf('device-on-time')).toEqual([]);
  });
});

describe('the time a device claims in a CSR', () => {
  const device = 'device-csr';
  const topics = deviceTopics(device);
  let client: Awaited<ReturnType<typeof connectedDevice>>;
  let inbox: Inbox;

  beforeAll(async () => {
    const identity = deviceIdentity(pki, device, { notBefore: FROM - DAY, notAfter: FROM + 30 * DAY });
    client = await connectedDevice(broker, identity, { clientId: device, username: simTimeUsername(INSIDE) });
    await client.subscribeAsync(topics.subscription);
    inbox = new Inbox(client);
  });

  afterAll(async () => {
    await closeDevice(client);
  });

  it('refuses a rotation CSR whose t lies outside the epoch, and issues no certificate with dates the device chose', async () => {
    const issuedBefore = broker.stats().issued;
    for (const [requestId, t] of [['past', FROM - 400 * DAY], ['future', FROM + 5 * 365 * DAY], ['end', TO]] as const) {
      await publishRaw(client, topics.csr, JSON.stringify({ requestId, t, csr: csrOf(device) }));
      const reply = (await inbox.next([topics.certificate]))?.body as RotationResponse | undefined;
      expect(reply).toMatchObject({ requestId, ok: false, reason: 'time_claim_outside_epoch' });
    }
    expect(broker.stats().issued).toBe(issuedBefore);
    expect(issuancesOf(device)).toEqual([]);
    expect(broker.stats().timeClaimsRefused['rotation-csr']).toBe(3);
    expect(events.filter((e) => e.type === 'broker.request-refused' && e.device === device && e.reason === 'time_claim_outside_epoch')).toHaveLength(3);
  });

  it('refuses create-from-csr with a t outside the epoch on the /rejected topic, 400 InvalidTimeClaim', async () => {
    const issuedBefore = broker.stats().issued;
    await publishRaw(client, fleetProvisioningTopics.createFromCsr, JSON.stringify({ requestId: 'fp-old', t: FROM - 2 * DAY, certificateSigningRequest: toPem(createCsr({ subject: { CN: device }, keyPair: generateKeyPair('ec-p256') }), 'CERTIFICATE REQUEST') }));
    const answer = await inbox.next([fleetProvisioningTopics.createFromCsrAccepted, fleetProvisioningTopics.createFromCsrRejected]);
    expect(answer?.topic).toBe(fleetProvisioningTopics.createFromCsrRejected);
    expect(answer?.body as CreateFromCsrReply).toMatchObject({ requestId: 'fp-old', statusCode: 400, errorCode: 'InvalidTimeClaim' });
    expect(broker.stats().issued).toBe(issuedBefore);
  });

  it('signs a CSR whose t lies inside the epoch, dated from that time', async () => {
    await publishRaw(client, topics.csr, JSON.stringify({ requestId: 'inside', t: INSIDE, csr: csrOf(device) }));
    const reply = (await inbox.next([topics.certificate]))?.body as RotationResponse | undefined;
    if (!reply?.ok) throw new Error(`refused: ${JSON.stringify(reply)}`);
    const issued = pool.parse(pemToDer(reply.certificate)[0] as Buffer);
    // The scenario backdates by one hour and issues for 30 days (RFC 5280 4.1.2.5), from the CA's reading of INSIDE.
    expect(issued.notBefore).toBe(INSIDE - HOUR);
    expect(issued.notAfter).toBe(INSIDE + 30 * DAY);
  });
});

describe('a well-behaved fleet', () => {
  it('claims only times inside the epoch: a certificate pushed while a device was offline is installed when it is back', async () => {
    const PUSH_AT = Date.parse('2030-01-05T00:00:00Z');
    const text = `${TINY_SCENARIO.replace('trustStore: { anchors: [server-root] }\n', 'trustStore: { anchors: [server-root] }\n      connectivity: { outages: [{ every: 10d, duration: 4d }] }\n').replace('devices: 4', 'devices: 8')}events:
  - { type: push-certificates, at: 2030-01-05T00:00:00Z }
  - { type: push-certificates, at: 2030-01-20T00:00:00Z }
`;
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-claims-')), 'run');
    const { summary } = await runScenario({ loaded: { file: 'pushed-while-offline.yaml', scenario: tinyScenario(text), sha256: '', warnings: [] }, outDir, workers: 1 });
    const events = readEventLines(join(outDir, 'events.ndjson'));
    const pushes = events.filter((e) => e.type === 'device.rotation' && e.method === 'push');
    // Some devices were away when the first push went out and got it in their sync, days later.
    expect(pushes.some((e) => e.t > PUSH_AT + DAY)).toBe(true);
    expect(pushes.every((e) => e.outcome === 'succeeded')).toBe(true);
    expect(events.filter((e) => e.cause === 'time_claim_outside_epoch' || e.type === 'broker.request-refused')).toEqual([]);
    expect(summary.broker.refused).toEqual({});
  }, 120_000);
});
