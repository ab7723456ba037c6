import { performance } from 'node:perf_hooks';
import { CA_UNAVAILABLE, type CreateFromCsrReply, type ProvisionReply } from '../../sim/device-api/messages.js';
import { fleetProvisioningTopics as topics } from '../../sim/device-api/topics.js';
import { toPem } from '../../sim/pki/index.js';
import type { Credentials } from '../device/credentials.js';
import { lostReply } from './lost-reply.js';
import { newKeyAndCsr } from './new-key-and-csr.js';
import type { DeviceStartedHalf, RotationHost, RotationOutcome } from './rotation-protocol.js';

const TEMPLATE = 'certfleet-rotation';

/**
 * Fleet provisioning with AWS IoT's MQTT API, its topics and payloads
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html): CreateCertificateFromCsr returns
 * the certificate and an ownership token, then RegisterThing redeems the token, which activates the certificate.
 * certfleet's devices add a request id (to match the answer) and `t` (their true time). Both calls wait in the
 * backend's queues in simulated time; a token redeemed more than its lifetime (AWS: 1 hour) after issue is refused,
 * and the certificate stays inactive for good.
 */
export const fleetProvisioningRotation: DeviceStartedHalf = {
  async start(host, t, attempt) {
    const session = host.session();
    if (!session) return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
    const started = performance.now();
    const { keyPem, csrDer } = newKeyAndCsr(host.deviceId, host.env.keyAlgorithm);
    const requestId = `${host.deviceId}-${t}-${attempt}`;
    const answer = await session.requestAny<CreateFromCsrReply>(
      topics.createFromCsr,
      // AWS's `{certificateSigningRequest}`, the CSR in PEM.
      { certificateSigningRequest: toPem(csrDer, 'CERTIFICATE REQUEST'), requestId, t },
      [topics.createFromCsrAccepted, topics.createFromCsrRejected],
      (reply) => reply.requestId === requestId,
      host.env.options.rotationTimeoutMs,
    );
    if (!answer) return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
    if (host.replyLost?.(requestId, t)) return lostReply(t);
    const reply = answer.reply;
    if (!('certificatePem' in reply)) {
      return { kind: 'failed', cause: reply.errorCode === CA_UNAVAILABLE.reason ? 'ca_unavailable' : 'rotation_rejected', step: 'request' };
    }
    const credentials = host.adopt({ keyPem, certificatePem: reply.certificatePem, chainPems: reply.chain });
    const requestMs = performance.now() - started;
    return {
      kind: 'continue',
      at: Math.max(t, reply.issuedAt),
      step: 'register',
      resume: (at) => register(host, at, attempt, reply.certificateOwnershipToken, credentials, requestMs),
    };
  },
};

async function register(
  host: RotationHost,
  t: number,
  attempt: number,
  token: string,
  credentials: Credentials,
  requestMs: number,
): Promise<RotationOutcome> {
  const session = host.session();
  // The session dropped while the certificate waited: the answer to RegisterThing would be lost with it.
  if (!session) return { kind: 'failed', cause: 'rotation_timeout', step: 'register' };
  const started = performance.now();
  const requestId = `${host.deviceId}-${t}-${attempt}-register`;
  const answer = await session.requestAny<ProvisionReply>(
    topics.provision(TEMPLATE),
    { certificateOwnershipToken: token, parameters: {}, requestId, t },
    [topics.provisionAccepted(TEMPLATE), topics.provisionRejected(TEMPLATE)],
    (reply) => reply.requestId === requestId,
    host.env.options.rotationTimeoutMs,
  );
  if (!answer) return { kind: 'failed', cause: 'rotation_timeout', step: 'register' };
  const reply = answer.reply;
  if (!('registeredAt' in reply)) {
    const failed: RotationOutcome = {
      kind: 'failed',
      cause: reply.tokenExpiredAt !== undefined ? 'ownership_token_expired' : 'rotation_rejected',
      step: 'register',
    };
    // The refusal comes when the registration queue serves the call; only then does the device learn of it.
    return reply.rejectedAt > t ? { kind: 'continue', at: reply.rejectedAt, step: 'register', resume: async () => failed } : failed;
  }
  return { kind: 'install', at: Math.max(t, reply.registeredAt), credentials, requestMs: requestMs + (performance.now() - started) };
}

