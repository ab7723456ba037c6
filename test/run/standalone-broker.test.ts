import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { startStandaloneBroker, type StandaloneBroker } from '../../sim/run/standalone-broker.js';
import type { FactoryCredentials } from '../../sim/scenario-pki/device-factory.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { simTimeUsername, type DeliveryMessage } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import { closeDevice, connectDevice, Inbox, publishRaw, type ConnectOutcome, type DeviceIdentity } from '../support/mqtt-device.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';
import { HOUR, MINUTE, SECOND } from '../support/time.js';

const START = Date.parse('2030-01-01T00:00:00Z');
const SWITCH_AT = START + HOUR;
const REVOKE_AT = START + 2 * HOUR;
const ROLLOUT_AT = START + 30 * MINUTE;
const SCENARIO = `${TINY_SCENARIO}events:
  - { type: trust-rollout, at: 2030-01-01T00:30:00Z, add: [other-root], cohorts: [steady] }
  - { type: server-certificate, at: 2030-01-01T01:00:00Z, use: broker-other }
  - { type: revoke, at: 2030-01-01T02:00:00Z, devices: { share: 1, cohorts: [other] } }
`;

const pool = new CertificatePool();
const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-standalone-')), 'export');
let broker: StandaloneBroker;

beforeAll(async () => {
  broker = await startStandaloneBroker({
    loaded: { file: 'tiny-events.yaml', scenario: tinyScenario(SCENARIO), sha256: '', warnings: [] },
    dir,
    devices: 6,
    speed: 0,
    port: 0,
    timeClaims: 'ignore',
  });
});

afterAll(async () => {
  await broker.close();
});

const identityOf = (credentials: FactoryCredentials | undefined): DeviceIdentity => {
  if (!credentials) throw new Error('no such device');
  return { key: credentials.keyPem, cert: credentials.certificatePem + credentials.chainPems.join('') };
};
const leafOf = (id: string): ParsedCertificate => pool.parsePem(broker.credentials[id]?.certificatePem ?? '')[0] as ParsedCertificate;
const cohortOf = (id: string) => broker.info.identities.find((d) => d.id === id)?.cohort;
const address = () => ({ host: broker.info.host, port: broker.info.port });

/** Moves the clock through the control endpoint, as a test or a user with curl would. */
async function postClock(body: object): Promise<{ status: number; body: { time?: string; t?: number; speed?: string; error?: string } }> {
  const response = await fetch(broker.info.clock.control, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { time?: string; error?: string } };
}

async function connectOnce(id: string, username?: string): Promise<ConnectOutcome & { issuer?: string }> {
  const outcome = await connectDevice(address(), identityOf(broker.credentials[id]), { clientId: id, username });
  if (!outcome.ok) return outcome;
  const issuer = (outcome.client.stream as TLSSocket).getPeerCertificate().issuer.CN as string | undefined;
  await closeDevice(outcome.client);
  return { ...outcome, issuer };
}

function decisions(): FleetEvent[] {
  return readFileSync(join(dir, 'decisions.ndjson'), 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as FleetEvent);
}

describe('the standalone broker on its live clock', () => {
  it('starts frozen at the timeline\'s start and says so in broker.json, with the clock file at that second', () => {
    const written = JSON.parse(readFileSync(join(dir, 'broker.json'), 'utf8')) as typeof broker.info;
    expect(written).toMatchObject({ host: '127.0.0.1', port: broker.info.port, serverName: 'localhost', timeClaims: 'ignore' });
    expect(written.clock).toMatchObject({ time: new Date(START).toISOString(), speed: 'frozen', control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/clock$/) });
    expect(readFileSync(join(dir, 'clock.faketime'), 'utf8')).toBe('2030-01-01 00:00:00\n');
    expect(written.identities).toHaveLength(6);
  });

  it('pushes a planned trust-bundle update to an online client once the clock passes the rollout', async () => {
    const device = broker.plan.deliveries.find((d) => d.kind === 'trust-bundle' && leafOf(d.deviceId).notBefore <= START)?.deviceId;
    if (!device) throw new Error('no device of the rollout is valid at the start');
    const outcome = await connectDevice(address(), identityOf(broker.credentials[device]), { clientId: device });
    if (!outcome.ok) throw new Error(`refused: ${outcome.message}`);
    const client = outcome.client;
    const topics = deviceTopics(device);
    const inbox = new Inbox(client);
    await client.subscribeAsync(topics.subscription, { qos: 1 });
    // The sync request right after connecting says the client is online (its t is not believed here).
    await publishRaw(client, topics.syncRequest, JSON.stringify({ t: 0 }));
    expect((await inbox.next([topics.syncResponse]))?.body).toEqual({ deliveries: [] });

    await postClock({ at: new Date(ROLLOUT_AT).toISOString() });
    const delivery = (await inbox.next([topics.delivery], 10_000))?.body as DeliveryMessage | undefined;
    expect(delivery).toMatchObject({ kind: 'trust-bundle', effectiveAt: ROLLOUT_AT, add: [broker.pki.certificates['other-root']] });
    await publishRaw(client, topics.deliveryAck, JSON.stringify({ updateId: delivery?.updateId, result: 'applied' }));
    await closeDevice(client);
  });

  it('serves a new chain once the clock passes a server-certificate switch, and revokes a cohort once it passes the revocation', async () => {
    const revoked = broker.plan.brokerEvents.flatMap((e) => (e.kind === 'revoke-devices' ? e.deviceIds : []));
    const device = revoked.find((id) => leafOf(id).notAfter > REVOKE_AT + HOUR);
    if (!device) throw new Error('no device of the revoked cohort is valid past the revocation');
    expect(cohortOf(device)).toBe('other');

    expect(await connectOnce(device)).toMatchObject({ ok: true, issuer: 'Test Server CA' });
    expect((await postClock({ at: new Date(SWITCH_AT).toISOString() })).body.time).toBe(new Date(SWITCH_AT).toISOString());
    expect(await connectOnce(device)).toMatchObject({ ok: true, issuer: 'Test Other Root' });

    expect((await postClock({ advance: '1h' })).body.t).toBe(REVOKE_AT);
    expect(await connectOnce(device)).toMatchObject({ ok: false, returnCode: 5 });
    // Moving the clock back does not undo an event: the server keeps the chain it switched to.
    await postClock({ at: new Date(START).toISOString() });
    const steady = broker.info.identities.find((d) => d.cohort === 'steady' && leafOf(d.id).notBefore <= START)?.id ?? '';
    expect(await connectOnce(steady)).toMatchObject({ ok: true, issuer: 'Test Other Root' });
    expect(readFileSync(join(dir, 'clock.faketime'), 'utf8')).toBe('2030-01-01 00:00:00\n');
  });

  it('admits a device before its certificate\'s notAfter and refuses it with CONNACK 5 after, whatever time it claims', async () => {
    const device = broker.info.identities.find((d) => d.cohort === 'steady' && leafOf(d.id).notAfter > REVOKE_AT)?.id;
    if (!device) throw new Error('no steady device valid past the revocation');
    const { notAfter } = leafOf(device);
    await postClock({ at: new Date(notAfter - MINUTE).toISOString() });
    expect(await connectOnce(device)).toMatchObject({ ok: true });
    const moved = await postClock({ at: new Date(notAfter + SECOND).toISOString() });
    expect(moved).toMatchObject({ status: 200, body: { t: notAfter + SECOND, speed: 'frozen' } });
    expect(await connectOnce(device, simTimeUsername(notAfter - MINUTE))).toMatchObject({ ok: false, returnCode: 5 });
  });

  it('answers a bad clock move with 400 and one line, and stays where it was', async () => {
    const before = (await (await fetch(broker.info.clock.control)).json()) as { t: number };
    for (const body of [{ at: 'tomorrow' }, { advance: '1h', at: '2030-01-01' }, { speed: 'max' }, { advance: '100000000y' }]) {
      const answer = await postClock(body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect(answer.body.error).toMatch(/^[^\n]+$/);
    }
    const raw = await fetch(broker.info.clock.control, { method: 'POST', body: '{"at": ' });
    expect(raw.status).toBe(400);
    expect((await fetch(broker.info.clock.control, { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await fetch(broker.info.clock.control.replace(/\/clock$/, '/time'))).status).toBe(404);
    expect((await fetch(broker.info.clock.control, { method: 'POST', body: JSON.stringify({ advance: '1h', pad: 'x'.repeat(10_000) }) })).status).toBe(413);
    expect(((await (await fetch(broker.info.clock.control)).json()) as { t: number }).t).toBe(before.t);
  });

  it('records every decision, with the time the broker judged at, in decisions.ndjson', async () => {
    await broker.close();
    const lines = decisions();
    expect(lines).toContainEqual(expect.objectContaining({ type: 'broker.server-certificate', t: SWITCH_AT, name: 'broker-other' }));
    expect(lines).toContainEqual(expect.objectContaining({ type: 'broker.revocation', t: REVOKE_AT }));
    const refused = lines.filter((e): e is Extract<FleetEvent, { type: 'broker.admission' }> => e.type === 'broker.admission' && e.cause !== 'ok');
    expect(refused.map((e) => e.cause)).toEqual(['revoked', 'expired_leaf']);
    expect(refused.at(-1)).toMatchObject({ cause: 'expired_leaf', claimIgnored: expect.any(String) });
    expect(JSON.parse(readFileSync(join(dir, 'broker.json'), 'utf8'))).toHaveProperty('stoppedAt');
  });
});
