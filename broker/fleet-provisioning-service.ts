import { createHash } from 'node:crypto';
import {
  CA_UNAVAILABLE,
  type AwsErrorResponse,
  type CreateFromCsrReply,
  type CreateFromCsrRequest,
  type CreateKeysAndCertificateReply,
  type CreateKeysAndCertificateRequest,
  type ProvisionReply,
  type ProvisionRequest,
  type RequestErrorCode,
} from '../sim/device-api/messages.js';
import { fleetProvisioningTopics as aws, mountAwsTopic } from '../sim/device-api/topics.js';
import { csrFromPem, generateKeyPair } from '../sim/pki/index.js';
import type { Issued } from './device-ca.js';
import { certificateKey } from './device-registry.js';
import { publishJson } from './publish-json.js';
import type { RotationBackend } from './backend/protocol-backend.js';
import { subscribeJson, type RequestRefusal } from './subscribe-json.js';

/** What fleet provisioning uses of the backend. */
export type FleetProvisioningOptions = Pick<
  RotationBackend,
  'broker' | 'guard' | 'ca' | 'registry' | 'pool' | 'seed' | 'keyAlgorithm' | 'tokenLifetimeMs' | 'registrationSlot' | 'onRegistration'
>;

interface Token {
  deviceId: string;
  certificateKey: string;
  issuedAt: number;
}

/**
 * AWS IoT fleet provisioning's three calls (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html), on the device's own `$aws/...` topics (mounted under its
 * prefix, broker/aws-topic-mount.ts). CreateCertificateFromCsr and CreateKeysAndCertificate issue a certificate that
 * stays PENDING_ACTIVATION, and an ownership token; RegisterThing redeems the token and activates the certificate if
 * it comes within the token's lifetime (AWS: one hour). A token that expired in the registration queue leaves the
 * certificate inactive for good: the device must start over.
 */
export async function startFleetProvisioningService(options: FleetProvisioningOptions): Promise<void> {
  const { broker, guard } = options;
  const tokens = new Map<string, Token>();
  const now = (t: number | undefined) => t ?? guard.window.now;

  // https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#create-cert-csr
  await subscribeJson(broker, guard, {
    kind: 'create-from-csr',
    filter: mountAwsTopic('+', aws.createFromCsr),
    serve: (deviceId, request) => createFromCsr(deviceId, request),
    refuse: (deviceId, refusal, echo) => publishJson(broker, mountAwsTopic(deviceId, aws.createFromCsrRejected), { ...invalidRequest(refusal), ...echo }),
  });
  // https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#create-keys-cert
  await subscribeJson(broker, guard, {
    kind: 'create-keys-and-certificate',
    filter: mountAwsTopic('+', aws.createKeysAndCertificate),
    serve: (deviceId, request) => createKeysAndCertificate(deviceId, request),
    refuse: (deviceId, refusal, echo) =>
      publishJson(broker, mountAwsTopic(deviceId, aws.createKeysAndCertificateRejected), { ...invalidRequest(refusal), ...echo }),
  });
  // https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#register-thing
  await subscribeJson(broker, guard, {
    kind: 'provision',
    filter: mountAwsTopic('+', aws.provision('+')),
    serve: (deviceId, request, rest) => provision(deviceId, request, rest),
    refuse: (deviceId, refusal, echo, rest) => {
      const rejected: ProvisionReply = { ...invalidRequest(refusal), ...echo, rejectedAt: guard.window.now };
      return publishJson(broker, mountAwsTopic(deviceId, aws.provisionRejected(templateOf(rest))), rejected);
    },
  });

  /** The certificate's id and ownership token, once the CA has issued it; undefined if it cannot be read back. */
  function pendingActivation(deviceId: string, issued: Extract<Issued, { ok: true }>) {
    const certificate = options.pool.parsePem(issued.certificatePem)[0];
    if (!certificate) return undefined;
    // AWS: a new certificate is PENDING_ACTIVATION until RegisterThing; admission refuses it until then.
    options.registry.issued(deviceId, certificate, 'pending-activation');
    const key = certificateKey(certificate);
    const token = createHash('sha256').update(`${options.seed}\u0000${deviceId}\u0000${key}`).digest('hex');
    tokens.set(token, { deviceId, certificateKey: key, issuedAt: issued.issuedAt });
    // AWS's certificateId: the SHA-256 of the certificate (64 hex characters, its API reference's certificateId).
    return {
      certificateOwnershipToken: token,
      certificateId: certificate.fingerprint,
      certificatePem: issued.certificatePem,
      chain: issued.chain,
      issuedAt: issued.issuedAt,
    };
  }

  function createFromCsr(deviceId: string, request: CreateFromCsrRequest): Promise<void> {
    const rejectedTopic = mountAwsTopic(deviceId, aws.createFromCsrRejected);
    const csrDer = csrFromPem(request.certificateSigningRequest);
    if (!csrDer) {
      const rejected: AwsErrorResponse = {
        statusCode: 400,
        errorCode: 'InvalidRequest',
        errorMessage: 'certificateSigningRequest is not a PEM certificate request (RFC 7468 7)',
        requestId: request.requestId,
      };
      return publishJson(broker, rejectedTopic, rejected);
    }
    const issued = options.ca.signCsr(deviceId, csrDer, now(request.t));
    const accepted = issued.ok ? pendingActivation(deviceId, issued) : undefined;
    if (!accepted) return publishJson(broker, rejectedTopic, { ...caRefusal(issued), requestId: request.requestId });
    const reply: CreateFromCsrReply = { ...accepted, requestId: request.requestId };
    return publishJson(broker, mountAwsTopic(deviceId, aws.createFromCsrAccepted), reply);
  }

  function createKeysAndCertificate(deviceId: string, request: CreateKeysAndCertificateRequest): Promise<void> {
    const keyPair = generateKeyPair(options.keyAlgorithm);
    const issued = options.ca.issueForRequestedKey(deviceId, keyPair.publicKey, now(request.t));
    const accepted = issued.ok ? pendingActivation(deviceId, issued) : undefined;
    if (!accepted) {
      return publishJson(broker, mountAwsTopic(deviceId, aws.createKeysAndCertificateRejected), { ...caRefusal(issued), requestId: request.requestId });
    }
    const privateKey = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const reply: CreateKeysAndCertificateReply = { ...accepted, privateKey, requestId: request.requestId };
    return publishJson(broker, mountAwsTopic(deviceId, aws.createKeysAndCertificateAccepted), reply);
  }

  function provision(deviceId: string, request: ProvisionRequest, rest: string): Promise<void> {
    const template = templateOf(rest);
    const t = now(request.t);
    const reject = (reason: 'OwnershipTokenExpired' | 'InvalidCertificateOwnershipToken', at: number, errorMessage: string, tokenExpiredAt?: number) => {
      options.onRegistration({ deviceId, t: at, ok: false, reason });
      const reply: ProvisionReply = {
        statusCode: 400,
        errorCode: 'InvalidCertificateOwnershipToken',
        errorMessage,
        requestId: request.requestId,
        rejectedAt: at,
        ...(tokenExpiredAt === undefined ? {} : { tokenExpiredAt }),
      };
      return publishJson(broker, mountAwsTopic(deviceId, aws.provisionRejected(template)), reply);
    };
    if (request.certificateOwnershipToken === '') return reject('InvalidCertificateOwnershipToken', t, 'Certificate ownership token cannot be empty.');
    const token = tokens.get(request.certificateOwnershipToken);
    // A token is the device's own: one another client learnt is as unknown as a made-up one.
    if (!token || token.deviceId !== deviceId) return reject('InvalidCertificateOwnershipToken', t, 'unknown certificate ownership token');
    tokens.delete(request.certificateOwnershipToken);
    const registeredAt = options.registrationSlot(deviceId, Math.max(t, token.issuedAt));
    const expiresAt = token.issuedAt + options.tokenLifetimeMs;
    if (registeredAt > expiresAt) {
      return reject('OwnershipTokenExpired', registeredAt, 'the certificate ownership token expired before RegisterThing served it', expiresAt);
    }
    // AWS: the template's certificate resource sets it ACTIVE (certfleet's template does).
    options.registry.setStatus(token.certificateKey, 'active');
    options.onRegistration({ deviceId, t: registeredAt, ok: true });
    const reply: ProvisionReply = { deviceConfiguration: {}, thingName: deviceId, requestId: request.requestId, registeredAt };
    return publishJson(broker, mountAwsTopic(deviceId, aws.provisionAccepted(template)), reply);
  }
}

/** `$aws/provisioning-templates/<name>/provision/json` -> the template's name. */
function templateOf(rest: string): string {
  return rest.split('/')[2] ?? '';
}

/** Why the CA issued nothing: down (503 ServiceUnavailable, the device retries) or it refused the request (400). */
function caRefusal(issued: Issued): AwsErrorResponse {
  if (issued.ok) return { statusCode: 500, errorCode: 'InternalFailure', errorMessage: 'the issued certificate could not be read back' };
  return issued.reason === CA_UNAVAILABLE.reason
    ? { statusCode: CA_UNAVAILABLE.statusCode, errorCode: CA_UNAVAILABLE.reason, errorMessage: issued.reason }
    : { statusCode: 400, errorCode: 'InvalidRequest', errorMessage: issued.reason };
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
