import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { DEVICE_REQUESTS, simTimeUsername, type DeviceRequestKind, type RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics, fleetProvisioningTopics, jobsTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { createCsr, generateKeyPair, pemToDer, toPem } from '../../sim/pki/index.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { closeDevice, connectedDevice, deviceIdentity, Inbox, publishRaw } from '../support/mqtt-device.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { DAY, HOUR } from '../support/time.js';

const T0 = Date.parse('2030-01-15T00:00:00Z');
/** Inside the epoch [T0, T0 + 1 h) the broker is told it runs. */
const T = T0 + 60_000;
const ATTACKER = 'device-mallory';
const TEMPLATE = 'certfleet-rotation';
const JOB = 'rotate-device-mallory-1';

let pki: ScenarioPki;
let broker: EmbeddedBroker;
const events: FleetEvent[] = [];

beforeAll(async () => {
  const scenario = tinyScenario();
  pki = buildScenarioPki(scenario, 7);
  broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), (event) => events.push(event));
  broker.setEpoch(T0, T0 + HOUR);
});

afterAll(async () => {
  await broker.close();
});

const csrOf = (cn: string) => createCsr({ subject: { CN: cn }, keyPair: generateKeyPair('ec-p256') }).toString('base64');
const csrPemOf = (cn: string) => toPem(createCsr({ subject: { CN: cn }, keyPair: generateKeyPair('ec-p256') }), 'CERTIFICATE REQUEST');
const json = (value: unknown) => JSON.stringify(value);

type Reason = 'malformed_request' | 'time_claim_outside_epoch';
interface Hostile {
  name: string;
  payload: string | Buffer;
  reason: Reason;
}

/** Bodies no device may send on any request topic: not JSON, or JSON of the wrong shape. */
const ANY_TOPIC: Hostile[] = [
  { name: 'null', payload: 'null', reason: 'malformed_request' },
  { name: 'a JSON string', payload: '"abc"', reason: 'malformed_request' },
  { name: 'a huge number', payload: '1e20', reason: 'malformed_request' },
  { name: 'an array', payload: '[1,2,3]', reason: 'malformed_request' },
  { name: 'an empty object', payload: '{}', reason: 'malformed_request' },
  { name: 'an empty payload', payload: '', reason: 'malformed_request' },
  { name: 'truncated JSON', payload: '{"t":', reason: 'malformed_request' },
  { name: 'bytes that are not UTF-8', payload: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0xc3]), reason: 'malformed_request' },
  { name: 'arrays nested 100,000 deep', payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, reason: 'malformed_request' },
  { name: 'a __proto__ key', payload: '{"__proto__":{"polluted":true},"t":"x"}', reason: 'malformed_request' },
];

/** The findings of the issue, topic by topic, and their neighbours. */
const BY_KIND: Record<DeviceRequestKind, Hostile[]> = {
  'rotation-csr': [
    { name: '{"csr":5}', payload: '{"csr":5}', reason: 'malformed_request' },
    { name: 'no csr', payload: json({ requestId: 'no-csr', t: T }), reason: 'malformed_request' },
    { name: 't "abc"', payload: json({ requestId: 't-abc', t: 'abc', csr: csrOf(ATTACKER) }), reason: 'malformed_request' },
    { name: 't 1e20', payload: '{"requestId":"t-1e20","t":1e20,"csr":"MIIB"}', reason: 'malformed_request' },
    { name: 't -1e15', payload: json({ requestId: 't-neg', t: -1e15, csr: csrOf(ATTACKER) }), reason: 'time_claim_outside_epoch' },
    { name: 'a csr that is not base64', payload: json({ requestId: 'b64', t: T, csr: 'not base64!' }), reason: 'malformed_request' },
    { name: 'a PEM certificate instead of a CSR', payload: json({ requestId: 'pem-cert', csr: toPem(createCsr({ subject: { CN: ATTACKER }, keyPair: generateKeyPair('ec-p256') }), 'CERTIFICATE') }), reason: 'malformed_request' },
    { name: 'two PEM CSRs', payload: json({ requestId: 'two', csr: csrPemOf(ATTACKER) + csrPemOf(ATTACKER) }), reason: 'malformed_request' },
    { name: 'a numeric requestId', payload: json({ requestId: 5, csr: csrPemOf(ATTACKER) }), reason: 'malformed_request' },
  ],
  'create-from-csr': [
    { name: 'no certificateSigningRequest', payload: json({ requestId: 'no-csr', t: T }), reason: 'malformed_request' },
    { name: 'a numeric certificateSigningRequest', payload: json({ requestId: 'num', t: T, certificateSigningRequest: 5 }), reason: 'malformed_request' },
    { name: 't two days ago', payload: json({ requestId: 'old', t: T0 - 2 * DAY, certificateSigningRequest: csrOf(ATTACKER) }), reason: 'time_claim_outside_epoch' },
    { name: 'a certificateSigningRequest of 100 KiB', payload: json({ certificateSigningRequest: 'A'.repeat(100 * 1024) }), reason: 'malformed_request' },
  ],
  // AWS's request is `{}`: only what is not an object, or a certfleet extension of the wrong type, is refused unserved.
  'create-keys-and-certificate': [
    { name: 'a numeric requestId', payload: json({ requestId: 5 }), reason: 'malformed_request' },
    { name: 't "tomorrow"', payload: json({ t: 'tomorrow' }), reason: 'malformed_request' },
    { name: 't in a year', payload: json({ requestId: 'late', t: T0 + 365 * DAY }), reason: 'time_claim_outside_epoch' },
  ],
  provision: [
    { name: 'no certificateOwnershipToken', payload: json({ requestId: 'no-token', t: T }), reason: 'malformed_request' },
    { name: 'an object as token', payload: json({ requestId: 'obj', t: T, certificateOwnershipToken: {} }), reason: 'malformed_request' },
    { name: 'parameters that are not a string map', payload: json({ certificateOwnershipToken: 'x', parameters: { SerialNumber: 5 } }), reason: 'malformed_request' },
  ],
  'jobs-start-next': [
    { name: 'a clientToken of 65 characters', payload: json({ clientToken: 'x'.repeat(65) }), reason: 'malformed_request' },
    { name: 'a step timeout of 8 days', payload: json({ stepTimeoutInMinutes: 11_520 }), reason: 'malformed_request' },
    { name: 't in a year', payload: json({ clientToken: 'late', t: T0 + 365 * DAY }), reason: 'time_claim_outside_epoch' },
  ],
  'jobs-get-pending': [{ name: 'a numeric clientToken', payload: json({ clientToken: 5 }), reason: 'malformed_request' }],
  'jobs-describe': [{ name: 'includeJobDocument "yes"', payload: json({ includeJobDocument: 'yes' }), reason: 'malformed_request' }],
  'jobs-update': [
    { name: 'no status', payload: json({ clientToken: 'no-status', t: T }), reason: 'malformed_request' },
    { name: 'status QUEUED, which only the service sets', payload: json({ status: 'QUEUED', t: T }), reason: 'malformed_request' },
    { name: 'a statusDetails value that is a number', payload: json({ status: 'SUCCEEDED', statusDetails: { certificateId: 1 } }), reason: 'malformed_request' },
    { name: 't in a year', payload: json({ status: 'SUCCEEDED', t: T0 + 365 * DAY }), reason: 'time_claim_outside_epoch' },
  ],
  sync: [
    { name: 't "now"', payload: '{"t":"now"}', reason: 'malformed_request' },
    { name: 't 0', payload: '{"t":0}', reason: 'time_claim_outside_epoch' },
  ],
  'delivery-ack': [
    { name: 'a numeric updateId', payload: '{"updateId":5,"result":"applied"}', reason: 'malformed_request' },
    { name: 'no result', payload: '{"updateId":"u1"}', reason: 'malformed_request' },
  ],
  'offline-notice': [
    { name: 'no session', payload: '{"reason":"disconnect"}', reason: 'malformed_request' },
    { name: 'a reason the contract does not know', payload: '{"session":"s1","reason":"gone"}', reason: 'malformed_request' },
  ],
};

/** Whether a payload is JSON the request kind's schema accepts. */
function acceptedBy(kind: DeviceRequestKind, payload: string | Buffer): boolean {
  try {
    return DEVICE_REQUESTS[kind].schema.safeParse(JSON.parse(payload.toString())).success;
  } catch {
    return false;
  }
}

/** Random JSON values and random bytes, the same on every run (seeded), that break the request's schema. */
function randomShapes(kind: DeviceRequestKind, seed: number): Hostile[] {
  const values = fc.sample(fc.jsonValue({ maxDepth: 4 }), { seed, numRuns: 40 });
  const bytes = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), { seed: seed + 1, numRuns: 20 });
  return [
    ...values
      .filter((value) => !DEVICE_REQUESTS[kind].schema.safeParse(value).success)
      .map((value, i): Hostile => ({ name: `random JSON #${i}`, payload: json(value), reason: 'malformed_request' })),
    ...bytes.map((b, i): Hostile => ({ name: `random bytes #${i}`, payload: Buffer.from(b), reason: 'malformed_request' })),
  ];
}

const topics = deviceTopics(ATTACKER);
const jobs = jobsTopics(ATTACKER);

/** Whether a body is JSON at all (AWS IoT Jobs answers one that is not with InvalidJson). */
function isJson(payload: string | Buffer): boolean {
  try {
    JSON.parse(payload.toString());
    return true;
  } catch {
    return false;
  }
}

/** Every topic a device may publish a request to, and what the backend answers a refused one with. */
const TARGETS: { kind: DeviceRequestKind; topic: string; replyTopics: string[]; reply: (reason: Reason, payload: string | Buffer) => unknown }[] = [
  // Those without a reply topic come first: the backend is a client of the broker, which forwards one client's
  // messages in order ([MQTT-4.6.0-6]), so once the later requests are answered these have been counted too.
  // An acknowledgement and an offline notice have no reply topic in the protocol: they are counted and recorded only.
  { kind: 'delivery-ack', topic: topics.deliveryAck, replyTopics: [], reply: () => undefined },
  { kind: 'offline-notice', topic: topics.offline, replyTopics: [], reply: () => undefined },
  {
    kind: 'rotation-csr',
    topic: topics.csr,
    replyTopics: [topics.certificate],
    reply: (reason) => expect.objectContaining({ ok: false, reason, detail: expect.any(String) }),
  },
  {
    kind: 'create-from-csr',
    topic: fleetProvisioningTopics.createFromCsr,
    replyTopics: [fleetProvisioningTopics.createFromCsrRejected],
    // AWS IoT's error response on the reserved fleet-provisioning topics.
    reply: (reason) =>
      expect.objectContaining({ statusCode: 400, errorCode: reason === 'malformed_request' ? 'InvalidPayload' : 'InvalidTimeClaim', errorMessage: expect.any(String) }),
  },
  {
    kind: 'create-keys-and-certificate',
    topic: fleetProvisioningTopics.createKeysAndCertificate,
    replyTopics: [fleetProvisioningTopics.createKeysAndCertificateRejected],
    reply: (reason) =>
      expect.objectContaining({ statusCode: 400, errorCode: reason === 'malformed_request' ? 'InvalidPayload' : 'InvalidTimeClaim', errorMessage: expect.any(String) }),
  },
  {
    kind: 'provision',
    topic: fleetProvisioningTopics.provision(TEMPLATE),
    replyTopics: [fleetProvisioningTopics.provisionRejected(TEMPLATE)],
    reply: (reason) =>
      expect.objectContaining({
        statusCode: 400,
        errorCode: reason === 'malformed_request' ? 'InvalidPayload' : 'InvalidTimeClaim',
        errorMessage: expect.any(String),
        rejectedAt: T0,
      }),
  },
  // AWS IoT Jobs' ErrorResponse (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html).
  ...(
    [
      ['jobs-start-next', jobs.startNext, jobs.startNextRejected],
      ['jobs-get-pending', jobs.getPending, jobs.getPendingRejected],
      ['jobs-describe', jobs.describe(JOB), jobs.describeRejected(JOB)],
      ['jobs-update', jobs.update(JOB), jobs.updateRejected(JOB)],
    ] as const
  ).map(([kind, topic, rejected]) => ({
    kind,
    topic,
    replyTopics: [rejected],
    reply: (reason: Reason, payload: string | Buffer) =>
      expect.objectContaining({ code: isJson(payload) ? 'InvalidRequest' : 'InvalidJson', message: expect.stringMatching(new RegExp(`^${reason}: `)), timestamp: T0 / 1000 }),
  })),
  {
    kind: 'sync',
    topic: topics.syncRequest,
    replyTopics: [topics.syncResponse],
    reply: (reason) => ({ deliveries: [], refused: expect.stringMatching(new RegExp(`^${reason}: `)) }),
  },
];

describe('hostile payloads from an admitted device on every backend topic', () => {
  it('are each refused with the documented reply, counted by kind and recorded, and the broker keeps serving everyone', async () => {
    const attacker = await connectedDevice(broker, deviceIdentity(pki, ATTACKER, { notBefore: T0 - DAY, notAfter: T0 + 30 * DAY }), {
      clientId: ATTACKER,
      username: simTimeUsername(T),
    });
    await attacker.subscribeAsync(topics.subscription);
    const inbox = new Inbox(attacker);
    const sent: Record<DeviceRequestKind, Record<Reason, number>> = Object.fromEntries(
      TARGETS.map((t) => [t.kind, { malformed_request: 0, time_claim_outside_epoch: 0 }]),
    ) as Record<DeviceRequestKind, Record<Reason, number>>;
    const issuedBefore = broker.stats().issued;

    for (const [index, target] of TARGETS.entries()) {
      // `{}` is a valid request of some kinds (CreateKeysAndCertificate, AWS IoT Jobs' requests): not hostile there.
      const anyTopic = ANY_TOPIC.filter((hostile) => !acceptedBy(target.kind, hostile.payload));
      for (const hostile of [...anyTopic, ...BY_KIND[target.kind], ...randomShapes(target.kind, 100 + index)]) {
        await publishRaw(attacker, target.topic, hostile.payload);
        sent[target.kind][hostile.reason] += 1;
        if (target.replyTopics.length === 0) continue;
        const answer = await inbox.next(target.replyTopics);
        expect({ kind: target.kind, payload: hostile.name, reply: answer?.body }).toEqual({
          kind: target.kind,
          payload: hostile.name,
          reply: target.reply(hostile.reason, hostile.payload),
        });
      }
    }

    const stats = broker.stats();
    for (const target of TARGETS) {
      expect({ kind: target.kind, malformed: stats.malformedRequests[target.kind] ?? 0, timeClaims: stats.timeClaimsRefused[target.kind] ?? 0 }).toEqual({
        kind: target.kind,
        malformed: sent[target.kind].malformed_request,
        timeClaims: sent[target.kind].time_claim_outside_epoch,
      });
    }
    expect(stats.requestFailures).toBe(0);
    // Nothing a refused request asked for was issued.
    expect(stats.issued).toBe(issuedBefore);
    const total = Object.values(sent).reduce((n, r) => n + r.malformed_request + r.time_claim_outside_epoch, 0);
    const recorded = events.filter((e): e is Extract<FleetEvent, { type: 'broker.request-refused' }> => e.type === 'broker.request-refused');
    expect(recorded).toHaveLength(total);
    // Recorded at the broker's own time, never at one the device wrote.
    expect(new Set(recorded.map((e) => `${e.device}@${e.t}`))).toEqual(new Set([`${ATTACKER}@${T0}`]));
    expect(recorded.every((e) => e.problem.length > 0)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A real service refuses the request, not the session.
    expect(attacker.connected).toBe(true);
    await closeDevice(attacker);
  }, 60_000);

  it('still lets a well-behaved device connect, rotate by CSR and reconnect with its new certificate afterwards', async () => {
    const pool = new CertificatePool();
    const identity = deviceIdentity(pki, 'device-alice', { notBefore: T0 - DAY, notAfter: T0 + DAY });
    const alice = await connectedDevice(broker, identity, { clientId: 'device-alice', username: simTimeUsername(T) });
    const own = deviceTopics('device-alice');
    await alice.subscribeAsync(own.subscription);
    const inbox = new Inbox(alice);
    const keyPair = generateKeyPair('ec-p256');
    const csr = createCsr({ subject: { CN: 'device-alice' }, keyPair }).toString('base64');
    await publishRaw(alice, own.csr, json({ requestId: 'alice-1', t: T, csr }));
    const reply = (await inbox.next([own.certificate]))?.body as RotationResponse | undefined;
    await closeDevice(alice);
    if (!reply?.ok) throw new Error(`rotation refused: ${JSON.stringify(reply)}`);
    const issued = pool.parse(pemToDer(reply.certificate)[0] as Buffer);
    expect(issued.notAfter).toBe(T + 30 * DAY);

    const renewed = {
      key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      cert: reply.certificate + reply.chain.join(''),
    };
    const again = await connectedDevice(broker, renewed, { clientId: 'device-alice', username: simTimeUsername(T + 1000) });
    expect(again.connected).toBe(true);
    await closeDevice(again);
  });

  it('serves a PEM CSR sent without requestId or t, as openssl req writes it, at the broker clock and answers without a requestId', async () => {
    const pool = new CertificatePool();
    const identity = deviceIdentity(pki, 'device-bob', { notBefore: T0 - DAY, notAfter: T0 + DAY });
    const bob = await connectedDevice(broker, identity, { clientId: 'device-bob', username: simTimeUsername(T) });
    const own = deviceTopics('device-bob');
    await bob.subscribeAsync(own.subscription);
    const inbox = new Inbox(bob);
    await publishRaw(bob, own.csr, json({ csr: csrPemOf('device-bob') }));
    const reply = (await inbox.next([own.certificate]))?.body as RotationResponse | undefined;
    await closeDevice(bob);
    if (!reply?.ok) throw new Error(`rotation refused: ${JSON.stringify(reply)}`);
    expect('requestId' in reply).toBe(false);
    // The broker's clock: the epoch's start, as the broker was told.
    expect(reply.issuedAt).toBe(T0);
    const issued = pool.parse(pemToDer(reply.certificate)[0] as Buffer);
    expect({ cn: issued.label, notAfter: issued.notAfter }).toEqual({ cn: 'device-bob', notAfter: T0 + 30 * DAY });
  });
});
