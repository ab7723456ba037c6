/**
 * A device agent written against AWS's documentation provisions itself on certfleet's broker unchanged but for the
 * endpoint and the CA file: AWS's device SDK (aws-iot-device-sdk-v2), its IotIdentityClient's own publish and
 * subscribe calls (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html), over a connection
 * on a claim certificate; then it connects with the certificate it was given, and is admitted.
 */
import { iotidentity, type mqtt as Mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../sim/pki/index.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { acceptedOrRejected, createCertificateFromCsr, firstResponse, QOS, registerThing, TEMPLATE } from '../support/aws-identity-calls.js';
import { connectWithSdk, type SdkEndpoint } from '../support/aws-sdk-device.js';
import { opensslCsr } from '../support/openssl-csr.js';
import { startPresentDayBroker, type PresentDayBroker } from '../support/present-day-broker.js';

let present: PresentDayBroker;
let endpoint: SdkEndpoint;
const open: Mqtt.MqttClientConnection[] = [];

beforeAll(async () => {
  present = await startPresentDayBroker();
  // The broker listens on loopback; `localhost` is a name its server certificate carries, which the SDK checks.
  endpoint = { host: 'localhost', port: present.broker.port, caPem: present.serverRootPem };
});

afterAll(async () => {
  // Free the SDK's native connections, or the test process would not exit.
  await Promise.all(open.map((connection) => connection.disconnect().catch(() => undefined)));
  await present.broker.close();
});

async function connect(clientId: string, identity: { cert: string; key: string }): Promise<Mqtt.MqttClientConnection> {
  const connection = await connectWithSdk(endpoint, clientId, identity);
  open.push(connection);
  return connection;
}

/** The broker's refusals of a device's connections (admissions are counted, refusals recorded). */
const admissionsOf = (deviceId: string) => present.events.filter((e) => e.type === 'broker.admission' && e.device === deviceId);

describe("AWS's device SDK against certfleet's broker", () => {
  it('provisions from a claim certificate with CreateCertificateFromCsr and RegisterThing, then connects with the new certificate', async () => {
    const deviceId = 'sdk-device-csr';
    const claim = await connect(deviceId, present.claimIdentity(deviceId));
    const identity = new iotidentity.IotIdentityClient(claim);

    // The device's own key never leaves it: a CSR made with `openssl req`, in PEM as AWS's API takes it.
    const { der, keyPem } = opensslCsr({ subject: `/CN=${deviceId}` });
    const created = await createCertificateFromCsr(identity, toPem(der, 'CERTIFICATE REQUEST'));

    expect(created.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(created.certificateOwnershipToken).toEqual(expect.any(String));
    const certificate = new CertificatePool().parsePem(created.certificatePem ?? '')[0];
    expect(certificate?.fingerprint).toBe(created.certificateId);
    expect(certificate?.identity).toEqual({ kind: 'one', commonName: deviceId });

    // Before RegisterThing the certificate is PENDING_ACTIVATION: the broker refuses it.
    await expect(connectWithSdk(endpoint, deviceId, { cert: created.certificatePem ?? '', key: keyPem })).rejects.toThrow();
    expect(admissionsOf(deviceId).at(-1)).toEqual(expect.objectContaining({ cause: 'certificate_inactive', t: present.now }));

    const registered = await registerThing(identity, created.certificateOwnershipToken ?? '');
    expect(registered).toEqual(expect.objectContaining({ thingName: deviceId, deviceConfiguration: {} }));
    await claim.disconnect();
    open.splice(open.indexOf(claim), 1);

    const admittedBefore = present.broker.stats().admitted;
    const operational = await connect(deviceId, { cert: created.certificatePem ?? '', key: keyPem });
    // CONNACK 0 on the certificate RegisterThing activated, judged at the broker's clock (the SDK claims no time).
    expect(present.broker.stats().admitted).toBe(admittedBefore + 1);
    expect(admissionsOf(deviceId)).toHaveLength(1);
    await operational.disconnect();
    open.splice(open.indexOf(operational), 1);
  });

  it('provisions with CreateKeysAndCertificate (the broker makes the key) and RegisterThing, then connects with that key and certificate', async () => {
    const deviceId = 'sdk-device-keys';
    const claim = await connect(deviceId, present.claimIdentity(deviceId));
    const identity = new iotidentity.IotIdentityClient(claim);

    const accepted = firstResponse<iotidentity.model.CreateKeysAndCertificateResponse>();
    const rejected = firstResponse<iotidentity.model.ErrorResponse>();
    await identity.subscribeToCreateKeysAndCertificateAccepted({}, QOS, accepted.handler);
    await identity.subscribeToCreateKeysAndCertificateRejected({}, QOS, rejected.handler);
    await identity.publishCreateKeysAndCertificate({}, QOS);
    const created = await acceptedOrRejected(accepted.response, rejected.response, 'CreateKeysAndCertificate');
    expect(created).toEqual(
      expect.objectContaining({ certificateId: expect.stringMatching(/^[0-9a-f]{64}$/), certificateOwnershipToken: expect.any(String), privateKey: expect.stringContaining('PRIVATE KEY') }),
    );

    const registered = await registerThing(identity, created.certificateOwnershipToken ?? '');
    expect(registered.thingName).toBe(deviceId);
    await claim.disconnect();
    open.splice(open.indexOf(claim), 1);

    const admittedBefore = present.broker.stats().admitted;
    const operational = await connect(deviceId, { cert: created.certificatePem ?? '', key: created.privateKey ?? '' });
    expect(present.broker.stats().admitted).toBe(admittedBefore + 1);
    await operational.disconnect();
    open.splice(open.indexOf(operational), 1);
  });

  it("reads a refusal as AWS's ErrorResponse: RegisterThing with a token the broker never issued", async () => {
    const deviceId = 'sdk-device-bad-token';
    const claim = await connect(deviceId, present.claimIdentity(deviceId));
    const identity = new iotidentity.IotIdentityClient(claim);
    const rejected = firstResponse<iotidentity.model.ErrorResponse>();
    await identity.subscribeToRegisterThingRejected({ templateName: TEMPLATE }, QOS, rejected.handler);
    await identity.publishRegisterThing({ templateName: TEMPLATE, certificateOwnershipToken: 'f'.repeat(64) }, QOS);
    expect(await rejected.response).toEqual(expect.objectContaining({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: expect.any(String) }));
  });
});
