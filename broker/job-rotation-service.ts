import type { RotationJobDocument } from '../sim/device-api/jobs-messages.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import type { RotationBackend, StartingBackend } from './backend/protocol-backend.js';
import { startJobsApi } from './jobs/jobs-api-service.js';

/**
 * The backend half of job rotations, on the AWS IoT Jobs MQTT API
 * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). The renewal orchestrator queues a
 * rotation job for a thing when it falls due; it reaches the device as notify-next (a device online), or the device
 * finds it with start-next when it connects. The job document sends the device to certfleet's CSR topics; the device
 * renews, reconnects with the new certificate and reports SUCCEEDED naming it (statusDetails.certificateId = its
 * serial). The backend accepts that only if the device's connection really uses that certificate, and then
 * deactivates the old one.
 */
export const jobRotationBackend: StartingBackend<'job'> = {
  start: (backend) =>
    startJobsApi({
      broker: backend.broker,
      guard: backend.guard,
      store: backend.jobs,
      accept: (thingName, _execution, request) => (request.status === 'SUCCEEDED' ? refusalOfSuccess(backend, thingName, request.statusDetails) : undefined),
      onUpdate: (thingName, execution, outcome, t) => {
        if (!outcome.ok) {
          backend.onJob({ deviceId: thingName, t, jobId: execution.jobId, status: 'rejected' });
          return;
        }
        if (execution.status !== 'SUCCEEDED') return;
        const current = backend.registry.currentOf(thingName);
        if (current) backend.registry.deactivateAllBut(thingName, current.key);
        backend.onJob({ deviceId: thingName, t, jobId: execution.jobId, status: 'succeeded' });
      },
    }),
  startRotation(backend, { deviceId, updateId, t }) {
    const jobId = `rotate-${deviceId}-${t}`;
    backend.jobs.create(deviceId, jobId, rotationJobDocument(deviceId), updateId, t);
    backend.onJob({ deviceId, t, jobId, status: 'created' });
    return { kind: 'job', updateId, effectiveAt: t, jobId };
  },
};

/** certfleet's rotation job document: renew by CSR on the device's own CSR topics (sim/device-api/jobs-messages.ts). */
export function rotationJobDocument(deviceId: string): RotationJobDocument {
  const topics = deviceTopics(deviceId);
  return { operation: 'rotate-certificate', csrTopic: topics.csr, certificateTopic: topics.certificate, certificateIdDetail: 'certificateId' };
}

/** Why a SUCCEEDED is refused: it names no certificate, or not the one the device's connection uses (the registry's current). */
function refusalOfSuccess(backend: RotationBackend, deviceId: string, statusDetails: Record<string, string> | undefined): string | undefined {
  const named = statusDetails?.certificateId;
  if (!named) return 'statusDetails.certificateId must name the certificate the device now connects with (its serial, hex)';
  const current = backend.registry.currentOf(deviceId);
  // The device's newest certificate, and a live session authenticated with it (the client id is the CN).
  const inUse = current !== undefined && serial(current.serialHex) === serial(named) && backend.registry.inUse(current.key, deviceId).certificate;
  return inUse ? undefined : 'the connection does not use the certificate being committed';
}

/** A serial in hex as one compares it: lower case, without the DER pad byte Node's X509Certificate.serialNumber drops. */
function serial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}
