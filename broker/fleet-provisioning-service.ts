import { createHash } from 'node:crypto';
import type { Aedes } from 'aedes';
import { CA_UNAVAILABLE, type CreateFromCsrReply, type CreateFromCsrRequest, type ProvisionReply, type ProvisionRequest } from '../sim/device-api/messages.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { DeviceCa } from './device-ca.js';
import { certificateKey, type DeviceRegistry } from './device-registry.js';
import { publishJson } from './publish-json.js';
import { subscribeJson } from './subscribe-json.js';

export interface FleetProvisioningOptions {
  broker: Aedes;
  ca: DeviceCa;
  registry: DeviceRegistry;
  pool: CertificatePool;
  seed: number;
  /** AWS: 1 hour from CreateCertificateFromCsr. */
  tokenLifetimeMs: number;
  /** The true time RegisterThing serves a request that arrived at t (its own queue when limited). */
  registrationSlot: (deviceId: string, t: number) => number;
  onRegistration: (record: { deviceId: string; t: number; ok: boolean; reason?: string | undefined }) => void;
}

interface Token {
  deviceId: string;
  certificateKey: string;
  issuedAt: number;
}

/**
 * AWS IoT fleet provisioning's two calls, on the device's own topics. CreateCertificateFromCsr issues a certificate
 * that stays inactive, and an ownership token; RegisterThing (a provisioning template) redeems the token and
 * activates the certificate, if it comes within the token's lifetime. A token that expired in the registration
 * queue leaves the certificate inactive for good: the device must start over.
 */
export async function startFleetProvisioningService(options: FleetProvisioningOptions): Promise<void> {
  const { broker } = options;
  const tokens = new Map<string, Token>();
  await subscribeJson<CreateFromCsrRequest>(broker, 'devices/+/certificates/create-from-csr/json', (deviceId, request) => {
    const topics = deviceTopics(deviceId);
    const issued = options.ca.signCsr(deviceId, Buffer.from(request.certificateSigningRequest, 'base64'), request.t);
    const certificate = issued.ok ? options.pool.parsePem(issued.certificatePem)[0] : undefined;
    if (!issued.ok || !certificate) {
      const rejected: CreateFromCsrReply = {
        requestId: request.requestId,
        ...(!issued.ok && issued.reason === CA_UNAVAILABLE.reason
          ? { statusCode: CA_UNAVAILABLE.statusCode, errorCode: CA_UNAVAILABLE.reason }
          : { statusCode: 400, errorCode: 'InvalidCsr' }),
        errorMessage: issued.ok ? 'unreadable certificate' : issued.reason,
      };
      void publishJson(broker, topics.createFromCsrRejected, rejected);
      return;
    }
    options.registry.issued(deviceId, certificate, 'pending-activation');
    const token = createHash('sha256').update(`${options.seed}\u0000${deviceId}\u0000${request.requestId}`).digest('hex');
    tokens.set(token, { deviceId, certificateKey: certificateKey(certificate), issuedAt: issued.issuedAt });
    const accepted: CreateFromCsrReply = {
      requestId: request.requestId,
      certificateId: certificate.serialHex,
      certificatePem: issued.certificatePem,
      chain: issued.chain,
      certificateOwnershipToken: token,
      issuedAt: issued.issuedAt,
    };
    void publishJson(broker, topics.createFromCsrAccepted, accepted);
  });
  await subscribeJson<ProvisionRequest>(broker, 'devices/+/provisioning-templates/+/provision/json', (deviceId, request, rest) => {
    const template = rest.split('/')[1] ?? '';
    const topics = deviceTopics(deviceId);
    const token = tokens.get(request.certificateOwnershipToken);
    const reject = (errorCode: 'OwnershipTokenExpired' | 'InvalidToken', t: number, errorMessage: string) => {
      options.onRegistration({ deviceId, t, ok: false, reason: errorCode });
      const reply: ProvisionReply = { requestId: request.requestId, statusCode: 400, errorCode, errorMessage, rejectedAt: t };
      void publishJson(broker, topics.provisionRejected(template), reply);
    };
    if (!token || token.deviceId !== deviceId) return reject('InvalidToken', request.t, 'unknown certificate ownership token');
    tokens.delete(request.certificateOwnershipToken);
    const registeredAt = options.registrationSlot(deviceId, Math.max(request.t, token.issuedAt));
    if (registeredAt - token.issuedAt > options.tokenLifetimeMs) {
      return reject('OwnershipTokenExpired', registeredAt, 'the certificate ownership token expired before RegisterThing served it');
    }
    options.registry.setStatus(token.certificateKey, 'active');
    options.onRegistration({ deviceId, t: registeredAt, ok: true });
    const reply: ProvisionReply = { requestId: request.requestId, thingName: deviceId, registeredAt };
    void publishJson(broker, topics.provisionAccepted(template), reply);
  });
}
