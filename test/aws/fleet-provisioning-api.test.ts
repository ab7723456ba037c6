/**
 * certfleet's fleet provisioning checked against AWS IoT's device provisioning MQTT API
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html): each topic as AWS names it, each
 * request as AWS documents it (no `t`, no request id: what a client written against AWS's documentation sends), and
 * each reply's fields, accepted and rejected, from a claim (bootstrap) session.
 */
import { createHash, createPublicKey } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetProvisioningTopics as aws } from '../../sim/device-api/topics.js';
import { pemToDer, toPem } from '../../sim/pki/index.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { closeDevice, connectDevice, connectedDevice, Inbox, publishRaw } from '../support/mqtt-device.js';
import { opensslCsr } from '../support/openssl-csr.js';
import { startPresentDayBroker, type PresentDayBroker } from '../support/present-day-broker.js';
import { HOUR } from '../support/time.js';

const TEMPLATE = 'certfleet-fleet';
/** The fields AWS documents for each reply, and the extensions certfleet adds (optional for an AWS client to read). */
const CERTFLEET_EXTENSIONS = ['chain', 'issuedAt'];
const CREATE_FROM_CSR_ACCEPTED = ['certificateId', 'certificateOwnershipToken', 'certificatePem'];
const CREATE_KEYS_ACCEPTED = ['certificateId', 'certificateOwnershipToken', 'certificatePem', 'privateKey'];
const REGISTER_THING_ACCEPTED = ['deviceConfiguration', 'thingName'];
const ERROR_RESPONSE = ['errorCode', 'errorMessage', 'statusCode'];

let present: PresentDayBroker;
const pool = new CertificatePool();
const sessions: MqttClient[] = [];

beforeAll(async () => {
  present = await startPresentDayBroker();
});

afterAll(async () => {
  await Promise.all(sessions.map(closeDevice));
  await present.broker.close();
});

/** A claim session that claims no time, subscribed to every fleet-provisioning reply topic. */
async function claimSession(deviceId: string): Promise<{ client: MqttClient; inbox: Inbox }> {
  const client = await connectedDevice(present.broker, present.claimIdentity(deviceId), { clientId: deviceId });
  sessions.push(client);
  const inbox = new Inbox(client);
  for (const filter of ['$aws/certificates/create-from-csr/json/+', '$aws/certificates/create/json/+', `$aws/provisioning-templates/${TEMPLATE}/provision/json/+`]) {
    await client.subscribeAsync(filter, { qos: 1 });
  }
  return { client, inbox };
}

/** Publishes a body on a request topic and returns the reply's topic and body. */
async function call(session: { client: MqttClient; inbox: Inbox }, topic: string, body: unknown): Promise<{ topic: string; body: Record<string, unknown> }> {
  await publishRaw(session.client, topic, typeof body === 'string' ? body : JSON.stringify(body));
  const reply = await session.inbox.next([`${topic}/accepted`, `${topic}/rejected`]);
  if (!reply) throw new Error(`no reply on ${topic}/accepted or /rejected`);
  return { topic: reply.topic, body: reply.body as Record<string, unknown> };
}

const keys = (body: object) => Object.keys(body).sort();
const spki = (key: Parameters<typeof createPublicKey>[0]) => createPublicKey(key).export({ type: 'spki', format: 'der' });

async function createFromCsr(session: { client: MqttClient; inbox: Inbox }, deviceId: string) {
  const { der, keyPem } = opensslCsr({ subject: `/CN=${deviceId}` });
  const reply = await call(session, aws.createFromCsr, { certificateSigningRequest: toPem(der, 'CERTIFICATE REQUEST') });
  return { reply, keyPem };
}

describe('the topics', () => {
  it('are the ones AWS documents for each call', () => {
    expect(aws.createFromCsr).toBe('$aws/certificates/create-from-csr/json');
    expect([aws.createFromCsrAccepted, aws.createFromCsrRejected]).toEqual(['$aws/certificates/create-from-csr/json/accepted', '$aws/certificates/create-from-csr/json/rejected']);
    expect(aws.createKeysAndCertificate).toBe('$aws/certificates/create/json');
    expect([aws.createKeysAndCertificateAccepted, aws.createKeysAndCertificateRejected]).toEqual(['$aws/certificates/create/json/accepted', '$aws/certificates/create/json/rejected']);
    expect(aws.provision('t1')).toBe('$aws/provisioning-templates/t1/provision/json');
    expect([aws.provisionAccepted('t1'), aws.provisionRejected('t1')]).toEqual(['$aws/provisioning-templates/t1/provision/json/accepted', '$aws/provisioning-templates/t1/provision/json/rejected']);
  });
});

describe('CreateCertificateFromCsr', () => {
  it('answers a PEM CSR on /accepted with the ownership token, the certificate id (its SHA-256) and the PEM certificate for the CSR\'s key, served at the broker\'s clock', async () => {
    const session = await claimSession('api-csr');
    const { reply, keyPem } = await createFromCsr(session, 'api-csr');
    expect(reply.topic).toBe(aws.createFromCsrAccepted);
    expect(keys(reply.body)).toEqual([...CREATE_FROM_CSR_ACCEPTED, ...CERTFLEET_EXTENSIONS].sort());
    const certificatePem = String(reply.body.certificatePem);
    expect(reply.body.certificateId).toBe(createHash('sha256').update(pemToDer(certificatePem)[0] ?? Buffer.alloc(0)).digest('hex'));
    const certificate = pool.parsePem(certificatePem)[0];
    expect(certificate?.identity).toEqual({ kind: 'one', commonName: 'api-csr' });
    expect(spki(certificatePem)).toEqual(spki(keyPem));
    // No `t` in the request: issued at the broker's clock, the epoch's start, with the scenario's one-hour backdate.
    expect(reply.body.issuedAt).toBe(present.now);
    expect(certificate?.notBefore).toBe(present.now - HOUR);
  });

  it('refuses a PEM CSR that does not parse, a CSR without its PEM armour, and a body without the CSR, with AWS\'s error response', async () => {
    const session = await claimSession('api-csr-bad');
    const der = opensslCsr({ subject: '/CN=api-csr-bad' }).der;
    const garbled = toPem(Buffer.from('not a certificate request'), 'CERTIFICATE REQUEST');
    for (const [body, errorCode] of [
      [{ certificateSigningRequest: garbled }, 'InvalidRequest'],
      [{ certificateSigningRequest: der.toString('base64') }, 'InvalidRequest'],
      [{ certificateSigningRequest: toPem(der, 'CERTIFICATE') }, 'InvalidRequest'],
      [{ csr: toPem(der, 'CERTIFICATE REQUEST') }, 'InvalidPayload'],
      ['not json', 'InvalidPayload'],
    ] as const) {
      const reply = await call(session, aws.createFromCsr, body);
      expect({ topic: reply.topic, keys: keys(reply.body) }).toEqual({ topic: aws.createFromCsrRejected, keys: ERROR_RESPONSE });
      expect(reply.body).toEqual({ statusCode: 400, errorCode, errorMessage: expect.any(String) });
    }
  });

  it('leaves the certificate pending activation: the broker refuses it until RegisterThing', async () => {
    const session = await claimSession('api-pending');
    const { reply, keyPem } = await createFromCsr(session, 'api-pending');
    const outcome = await connectDevice(present.broker, { key: keyPem, cert: String(reply.body.certificatePem) }, { clientId: 'api-pending' });
    if (outcome.ok) sessions.push(outcome.client);
    // MQTT 3.1.1 3.2.2.3: 5, not authorized.
    expect(outcome).toEqual(expect.objectContaining({ ok: false, returnCode: 5 }));
    expect(present.events.filter((e) => e.type === 'broker.admission' && e.device === 'api-pending').map((e) => e.type === 'broker.admission' && e.cause)).toEqual([
      'certificate_inactive',
    ]);
  });
});

describe('CreateKeysAndCertificate', () => {
  it('answers {} with the certificate, its id, the ownership token and a private key (the scenario\'s algorithm) that matches the certificate', async () => {
    const session = await claimSession('api-keys');
    const reply = await call(session, aws.createKeysAndCertificate, {});
    expect(reply.topic).toBe(aws.createKeysAndCertificateAccepted);
    expect(keys(reply.body)).toEqual([...CREATE_KEYS_ACCEPTED, ...CERTFLEET_EXTENSIONS].sort());
    const certificatePem = String(reply.body.certificatePem);
    const privateKey = String(reply.body.privateKey);
    expect(spki(privateKey)).toEqual(spki(certificatePem));
    // The scenario's device key: ec-p256 by default.
    expect(createPublicKey(privateKey).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(pool.parsePem(certificatePem)[0]?.identity).toEqual({ kind: 'one', commonName: 'api-keys' });
    expect(reply.body.certificateId).toBe(createHash('sha256').update(pemToDer(certificatePem)[0] ?? Buffer.alloc(0)).digest('hex'));
  });

  it('refuses a body that is not a JSON object with AWS\'s error response', async () => {
    const session = await claimSession('api-keys-bad');
    const reply = await call(session, aws.createKeysAndCertificate, '[]');
    expect(reply).toEqual({ topic: aws.createKeysAndCertificateRejected, body: { statusCode: 400, errorCode: 'InvalidPayload', errorMessage: expect.any(String) } });
  });
});

describe('RegisterThing', () => {
  it('redeems the ownership token with parameters: {deviceConfiguration, thingName}, the thing named after the claim session\'s device; the certificate is then admitted', async () => {
    const session = await claimSession('api-register');
    const { reply, keyPem } = await createFromCsr(session, 'api-register');
    const registered = await call(session, aws.provision(TEMPLATE), { certificateOwnershipToken: reply.body.certificateOwnershipToken, parameters: { SerialNumber: '1' } });
    expect(registered.topic).toBe(aws.provisionAccepted(TEMPLATE));
    expect(keys(registered.body)).toEqual([...REGISTER_THING_ACCEPTED, 'registeredAt'].sort());
    expect(registered.body).toEqual({ deviceConfiguration: {}, thingName: 'api-register', registeredAt: present.now });
    const operational = await connectedDevice(present.broker, { key: keyPem, cert: String(reply.body.certificatePem) }, { clientId: 'api-register' });
    sessions.push(operational);
    expect(operational.connected).toBe(true);
  });

  it('refuses an empty, unknown, another device\'s or already redeemed token, and a body without one, with AWS\'s error response', async () => {
    const owner = await claimSession('api-token-owner');
    const ownersToken = (await createFromCsr(owner, 'api-token-owner')).reply.body.certificateOwnershipToken;
    const session = await claimSession('api-token');
    const mine = (await createFromCsr(session, 'api-token')).reply.body.certificateOwnershipToken;
    expect((await call(session, aws.provision(TEMPLATE), { certificateOwnershipToken: mine })).topic).toBe(aws.provisionAccepted(TEMPLATE));
    for (const [body, errorCode] of [
      [{ certificateOwnershipToken: '' }, 'InvalidCertificateOwnershipToken'],
      [{ certificateOwnershipToken: 'f'.repeat(64) }, 'InvalidCertificateOwnershipToken'],
      [{ certificateOwnershipToken: ownersToken }, 'InvalidCertificateOwnershipToken'],
      [{ certificateOwnershipToken: mine }, 'InvalidCertificateOwnershipToken'],
      [{ parameters: {} }, 'InvalidPayload'],
    ] as const) {
      const reply = await call(session, aws.provision(TEMPLATE), body);
      expect({ topic: reply.topic, keys: keys(reply.body) }).toEqual({ topic: aws.provisionRejected(TEMPLATE), keys: [...ERROR_RESPONSE, 'rejectedAt'].sort() });
      expect(reply.body).toEqual({ statusCode: 400, errorCode, errorMessage: expect.any(String), rejectedAt: present.now });
    }
  });

  // Last: it moves the broker's clock past the token's hour.
  it('refuses a token redeemed more than an hour after it was issued, and the certificate stays inactive', async () => {
    const session = await claimSession('api-expired');
    const { reply, keyPem } = await createFromCsr(session, 'api-expired');
    const later = present.now + HOUR + 1000;
    present.broker.setEpoch(later, later + HOUR);
    const rejected = await call(session, aws.provision(TEMPLATE), { certificateOwnershipToken: reply.body.certificateOwnershipToken });
    expect(rejected).toEqual({
      topic: aws.provisionRejected(TEMPLATE),
      body: { statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: expect.any(String), rejectedAt: later, tokenExpiredAt: present.now + HOUR },
    });
    const outcome = await connectDevice(present.broker, { key: keyPem, cert: String(reply.body.certificatePem) }, { clientId: 'api-expired' });
    if (outcome.ok) sessions.push(outcome.client);
    expect(outcome).toEqual(expect.objectContaining({ ok: false, returnCode: 5 }));
  });
});
