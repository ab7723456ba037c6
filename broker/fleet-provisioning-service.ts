import { createHash } from 'node:crypto';
import { CA_UNAVAILABLE, type CreateFromCsrReply, type CreateFromCsrRequest, type ProvisionReply, type ProvisionRequest, type RequestErrorCode } from '../sim/device-api/messages.js';
import { fleetProvisioningTopics as aws, mountAwsTopic } from '../sim/device-api/topics.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { BrokerLink } from './backend/broker-link.js';
import type { DeviceCa } from './device-ca.js';
import { certificateKey, type DeviceRegistry } from './device-registry.js';
import { publishJson } from './publish-json.js';
import { subscribeJson, type RequestGuard, type RequestRefusal } from './subscribe-json.js';

export interface FleetProvisioningOptions {
  broker: BrokerLink;
  guard: RequestGuard;
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
  const { broker, guard } = options;
  const tokens = new Map<string, Token>();
  await subscribeJson(broker, guard, {
    kind: 'create-from-csr',
    filter: mountAwsTopic('+', aws.createFromCsr),
    serve: (deviceId, request) => createFromCsr(deviceId, request),
    refuse: (deviceId, refusal, echo) => {
      const rejected: CreateFromCsrReply = { requestId: echo.requestId, ...invalidRequest(refusal) };
      return publishJson(broker, mountAwsTopic(deviceId, aws.createFromCsrRejected), rejected);
    },
  });
  await subscribeJson(broker, guard, {
    kind: 'provision',
    filter: mountAwsTopic('+', aws.provision('+')),
    serve: (deviceId, request, rest) => provision(deviceId, request, rest),
    refuse: (deviceId, refusal, echo, rest) => {
      const rejected: ProvisionReply = { requestId: echo.requestId, ...invalidRequest(refusal), rejectedAt: guard.window.now };
      return publishJson(broker, mountAwsTopic(deviceId, aws.provisionRejected(templateOf(rest))), rejected);
    },
  });

  function createFromCsr(deviceId: string, request: CreateFromCsrRequest): Promise<void> {
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
      return publishJson(broker, mountAwsTopic(deviceId, aws.createFromCsrRejected), rejected);
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
    return publishJson(broker, mountAwsTopic(deviceId, aws.createFromCsrAccepted), accepted);
  }

  function provision(deviceId: string, request: ProvisionRequest, rest: string): Promise<void> {
    const template = templateOf(rest);
    const token = tokens.get(request.certificateOwnershipToken);
    const reject = (errorCode: 'OwnershipTokenExpired' | 'InvalidToken', t: number, errorMessage: string) => {
      options.onRegistration({ deviceId, t, ok: false, reason: errorCode });
      const reply: ProvisionReply = { requestId: request.requestId, statusCode: 400, errorCode, errorMessage, rejectedAt: t };
      return publishJson(broker, mountAwsTopic(deviceId, aws.provisionRejected(template)), reply);
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
    return publishJson(broker, mountAwsTopic(deviceId, aws.provisionAccepted(template)), reply);
  }
}

/** `$aws/provisioning-templates/<name>/provision/json` -> the template's name. */
function templateOf(rest: string): string {
  return rest.split('/')[2] ?? '';
}

/**
 * AWS IoT's error response on a fleet-provisioning `/rejected` topic: 400 InvalidPayload for a body it cannot use,
 * 500 InternalFailure when serving failed; certfleet adds 400 InvalidTimeClaim for a `t` outside the current epoch.
 */
function invalidRequest(refusal: RequestRefusal): { statusCode: number; errorCode: RequestErrorCode; errorMessage: string } {
  switch (refusal.reason) {
    case 'malformed_request':
      return { statusCode: 400, errorCode: 'InvalidPayload', errorMessage: refusal.problem };
    case 'time_claim_outside_epoch':
      return { statusCode: 400, errorCode: 'InvalidTimeClaim', errorMessage: refusal.problem };
    case 'internal_error':
      return { statusCode: 500, errorCode: 'InternalFailure', errorMessage: refusal.problem };
  }
}
