/**
 * A device against the embedded broker over real mutual TLS on loopback: the broker started from a scenario, a
 * device identity issued by one of its authorities, a connect through certfleet's own device client, and the CSR
 * round trips (rotation and fleet provisioning's create-from-csr) a device makes on its own topics.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { CreateFromCsrReply, RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics, fleetProvisioningTopics } from '../../sim/device-api/topics.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { generateKeyPair, toPem, type DistinguishedName } from '../../sim/pki/index.js';
import { authorityFromPki, buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { dialBroker, type BrokerSession, type DialOutcome } from '../../workers/broker-session.js';
import { DAY } from './time.js';

export interface TestBroker {
  broker: EmbeddedBroker;
  pki: ScenarioPki;
  /** Every event the broker recorded, in order. */
  events: FleetEvent[];
  pool: CertificatePool;
  seed: number;
}

/**
 * The embedded broker of `scenario` on 127.0.0.1, port 0, running the epoch [from, to) (the true times its clients
 * may claim); close it with `broker.close()`.
 */
export async function startTestBroker(scenario: Scenario, epoch: { from: number; to: number }, seed = 7): Promise<TestBroker> {
  const pki = buildScenarioPki(scenario, seed);
  const events: FleetEvent[] = [];
  // brokerConfigFrom listens on 127.0.0.1, port 0.
  const broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, seed), (event) => events.push(event));
  broker.setEpoch(epoch.from, epoch.to);
  return { broker, pki, events, pool: new CertificatePool(), seed };
}

export interface DeviceIdentity {
  keyPem: string;
  certificatePem: string;
  /** The device certificate followed by the issuing chain the scenario's devices send. */
  certificateChainPem: string;
  secureContext: SecureContext;
}

/**
 * A device key and a certificate for `subject` (a name, or the exact DER of one: e.g. two CNs) issued by
 * `issuer` (default `device-ca`), valid from `at - 1 day` to `at + 30 days`.
 */
export function deviceIdentity(testBroker: TestBroker, subject: DistinguishedName | Buffer, at: number, issuer = 'device-ca'): DeviceIdentity {
  const ca = authorityFromPki(testBroker.pki, issuer, testBroker.seed, 'test-device-identity');
  const keyPair = generateKeyPair('ec-p256');
  const issued = ca.issue({ subject, publicKey: keyPair.publicKey, profile: 'device', notBefore: at - DAY, notAfter: at + 30 * DAY });
  return withCertificate(keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), issued.pem, testBroker.pki.certificates[issuer] ?? '');
}

/** A device identity from a key and a certificate it was given (e.g. by the CA for its CSR). */
export function withCertificate(keyPem: string, certificatePem: string, chainPem: string): DeviceIdentity {
  const certificateChainPem = certificatePem + chainPem;
  return { keyPem, certificatePem, certificateChainPem, secureContext: createSecureContext({ key: keyPem, cert: certificateChainPem }) };
}

/** Connects as `clientId` with `identity`, at true time t; the device trusts the scenario's `server-root`. */
export function dialDevice(testBroker: TestBroker, clientId: string, identity: DeviceIdentity, t: number): Promise<DialOutcome> {
  const anchor = testBroker.pool.parsePem(testBroker.pki.certificates['server-root'] ?? '')[0] as ParsedCertificate;
  return dialBroker({
    address: testBroker.broker.host,
    port: testBroker.broker.port,
    serverName: 'localhost',
    secureContext: identity.secureContext,
    clientId,
    inbox: deviceTopics(clientId).subscription,
    t,
    pool: testBroker.pool,
    judge: ([leaf, ...presented]) => {
      if (!leaf) throw new Error('the broker sent no certificate');
      return verifyChainAt({
        leaf,
        presented,
        anchors: [anchor],
        at: t,
        trueTime: t,
        policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
        purpose: 'serverAuth',
        hostname: 'localhost',
        pool: testBroker.pool,
      });
    },
    timeoutMs: 10_000,
  });
}

/** `dialDevice`, failing when the broker does not admit the device. */
export async function connectDevice(testBroker: TestBroker, clientId: string, identity: DeviceIdentity, t: number): Promise<BrokerSession> {
  const outcome = await dialDevice(testBroker, clientId, identity, t);
  if (!outcome.ok) throw new Error(`${clientId} was not admitted: ${outcome.cause}`);
  return outcome.session;
}

let requests = 0;

/** Publishes a CSR on the device's rotation topic and waits for the CA's answer. */
export async function requestRotation(session: BrokerSession, deviceId: string, csrDer: Buffer, t: number): Promise<RotationResponse> {
  const topics = deviceTopics(deviceId);
  const requestId = `csr-${++requests}`;
  const body = { requestId, t, csr: csrDer.toString('base64') };
  const reply = await session.request<RotationResponse>(topics.csr, body, topics.certificate, (r) => r.requestId === requestId, 10_000);
  if (!reply) throw new Error(`no answer to ${requestId} from the CA`);
  return reply;
}

/** Fleet provisioning's CreateCertificateFromCsr on the device's topics; waits for accepted or rejected. */
export async function requestCreateFromCsr(session: BrokerSession, deviceId: string, csrDer: Buffer, t: number): Promise<CreateFromCsrReply> {
  const requestId = `create-${++requests}`;
  // AWS's request carries the CSR in PEM; certfleet's devices add the request id and their true time.
  const body = { certificateSigningRequest: toPem(csrDer, 'CERTIFICATE REQUEST'), requestId, t };
  const answer = await session.requestAny<CreateFromCsrReply>(
    fleetProvisioningTopics.createFromCsr,
    body,
    [fleetProvisioningTopics.createFromCsrAccepted, fleetProvisioningTopics.createFromCsrRejected],
    (r) => r.requestId === requestId,
    10_000,
  );
  if (!answer) throw new Error(`no answer to ${requestId} from fleet provisioning`);
  return answer.reply;
}
