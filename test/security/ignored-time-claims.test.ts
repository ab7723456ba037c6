import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom, type TimeClaims } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { simTimeUsername, type RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { createCsr, generateKeyPair, pemToDer } from '../../sim/pki/index.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { closeDevice, connectDevice, connectedDevice, deviceIdentity, Inbox, publishRaw } from '../support/mqtt-device.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { DAY, HOUR } from '../support/time.js';

/** The epoch [FROM, TO): a broker that ignores claims judges everyone at FROM, its clock. */
const FROM = Date.parse('2030-01-15T00:00:00Z');
const TO = FROM + 6 * HOUR;

const scenario = tinyScenario();
let pki: ScenarioPki;
const brokers: Record<TimeClaims, { broker: EmbeddedBroker; events: FleetEvent[] }> = {} as never;

beforeAll(async () => {
  pki = buildScenarioPki(scenario, 7);
  for (const timeClaims of ['accept', 'ignore'] as const) {
    const events: FleetEvent[] = [];
    const broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7, { shards: 1, deviceIndex: {}, timeClaims }), (event) => events.push(event));
    broker.setEpoch(FROM, TO);
    brokers[timeClaims] = { broker, events };
  }
});

afterAll(async () => {
  await Promise.all(Object.values(brokers).map(({ broker }) => broker.close()));
});

const admissions = (timeClaims: TimeClaims, device: string) =>
  brokers[timeClaims].events.filter((e): e is Extract<FleetEvent, { type: 'broker.admission' }> => e.type === 'broker.admission' && e.device === device);

describe('a broker that ignores the time a client claims (certfleet broker)', () => {
  it('judges a not-yet-valid certificate at its own clock: admitted when a claim is believed, refused when ignored', async () => {
    // Valid from two hours into the epoch: a claim of three hours in would make it pass.
    const early = deviceIdentity(pki, 'device-early', { notBefore: FROM + 2 * HOUR, notAfter: FROM + 30 * DAY });
    const claim = simTimeUsername(FROM + 3 * HOUR);
    const believed = await connectDevice(brokers.accept.broker, early, { clientId: 'device-early', username: claim });
    expect(believed.ok).toBe(true);
    if (believed.ok) await closeDevice(believed.client);

    const ignored = await connectDevice(brokers.ignore.broker, early, { clientId: 'device-early', username: claim });
    expect(ignored).toMatchObject({ ok: false, returnCode: 5 });
    expect(admissions('ignore', 'device-early')).toEqual([
      expect.objectContaining({ t: FROM, cause: 'not_yet_valid', claimIgnored: new Date(FROM + 3 * HOUR).toISOString() }),
    ]);
  });

  it('refuses an expired certificate claiming an earlier time as expired, recording the claim it did not read', async () => {
    const expired = deviceIdentity(pki, 'device-old', { notBefore: FROM - 30 * DAY, notAfter: FROM - DAY });
    const claim = simTimeUsername(FROM - 2 * DAY);
    const outcome = await connectDevice(brokers.ignore.broker, expired, { clientId: 'device-old', username: claim });
    expect(outcome).toMatchObject({ ok: false, returnCode: 5 });
    expect(admissions('ignore', 'device-old')).toEqual([
      expect.objectContaining({ cause: 'expired_leaf', claimIgnored: new Date(FROM - 2 * DAY).toISOString(), claimed: undefined }),
    ]);
    // The broker that believes claims in its epoch refuses the same client for claiming a time outside it.
    await connectDevice(brokers.accept.broker, expired, { clientId: 'device-old', username: claim });
    expect(admissions('accept', 'device-old').map((e) => e.cause)).toEqual(['time_claim_outside_epoch']);
  });

  it('admits a valid certificate whatever its user name says, even one it cannot read as a time', async () => {
    const valid = deviceIdentity(pki, 'device-fine', { notBefore: FROM - DAY, notAfter: FROM + DAY });
    for (const username of [simTimeUsername(FROM - 400 * DAY), 'certfleet-t=yesterday', 'someone']) {
      const client = await connectedDevice(brokers.ignore.broker, valid, { clientId: 'device-fine', username });
      await closeDevice(client);
    }
    expect(brokers.ignore.broker.stats().refused.time_claim_outside_epoch).toBeUndefined();
  });

  it('serves a CSR whose t is a year off at its own clock, dating the certificate from it', async () => {
    const device = 'device-csr';
    const topics = deviceTopics(device);
    const client = await connectedDevice(brokers.ignore.broker, deviceIdentity(pki, device, { notBefore: FROM - DAY, notAfter: FROM + DAY }), { clientId: device });
    await client.subscribeAsync(topics.subscription);
    const inbox = new Inbox(client);
    const csr = createCsr({ subject: { CN: device }, keyPair: generateKeyPair('ec-p256') }).toString('base64');
    await publishRaw(client, topics.csr, JSON.stringify({ requestId: 'a-year-ago', t: FROM - 365 * DAY, csr }));
    const reply = (await inbox.next([topics.certificate]))?.body as RotationResponse | undefined;
    await closeDevice(client);
    if (!reply?.ok) throw new Error(`refused: ${JSON.stringify(reply)}`);
    const issued = new CertificatePool().parse(pemToDer(reply.certificate)[0] as Buffer);
    // The scenario backdates by an hour and issues for 30 days, from the broker's clock (RFC 5280 4.1.2.5).
    expect(issued.notBefore).toBe(FROM - HOUR);
    expect(issued.notAfter).toBe(FROM + 30 * DAY);
    expect(brokers.ignore.broker.stats().timeClaimsRefused).toEqual({});
  });
});
