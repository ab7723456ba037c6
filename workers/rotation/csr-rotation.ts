import { performance } from 'node:perf_hooks';
import { CA_UNAVAILABLE, type RotationRequest, type RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import type { BrokerSession } from '../broker-session.js';
import { lostReply } from './lost-reply.js';
import { newKeyAndCsr } from './new-key-and-csr.js';
import type { DeviceStartedHalf, RotationHost, RotationOutcome } from './rotation-protocol.js';

/**
 * CSR over MQTT on the device's own topics: the device publishes a CSR, the CA answers with the certificate on the
 * device's topic. Over the operational session (`csr`), or over a separate session on the device's attestation
 * identity (`attestation`, Azure Sphere's daily attestation: it works even after the operational certificate lapsed).
 */
export const csrRotation: DeviceStartedHalf = {
  async start(host, t, attempt) {
    const session = host.session();
    if (!session) return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
    return requestCertificate(host, session, t, attempt);
  },
};

export const attestationRotation: DeviceStartedHalf = {
  async start(host, t, attempt) {
    const opened = await host.openBootstrapSession(t);
    if (!opened.ok) return { kind: 'failed', cause: opened.cause, step: 'request' };
    try {
      return await requestCertificate(host, opened.session, t, attempt);
    } finally {
      await opened.session.close();
    }
  },
};

export async function requestCertificate(host: RotationHost, session: BrokerSession, t: number, attempt: number): Promise<RotationOutcome> {
  const started = performance.now();
  const { keyPem, csrDer } = newKeyAndCsr(host.deviceId, host.env.keyAlgorithm);
  const topics = deviceTopics(host.deviceId);
  const requestId = `${host.deviceId}-${t}-${attempt}`;
  const request: RotationRequest = { requestId, t, csr: csrDer.toString('base64') };
  const response = await session.request<RotationResponse>(
    topics.csr,
    request,
    topics.certificate,
    (reply) => reply.requestId === requestId,
    host.env.options.rotationTimeoutMs,
  );
  if (!response) return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
  if (host.replyLost?.(requestId, t)) return lostReply(t);
  if (!response.ok) return { kind: 'failed', cause: response.reason === CA_UNAVAILABLE.reason ? 'ca_unavailable' : 'rotation_rejected', step: 'request' };
  return {
    kind: 'install',
    // A CA with a backlog serves the request later in simulated time: the device has the certificate only then.
    at: Math.max(t, response.issuedAt),
    credentials: host.adopt({ keyPem, certificatePem: response.certificate, chainPems: response.chain }),
    requestMs: performance.now() - started,
  };
}
