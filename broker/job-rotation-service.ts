import type { JobCommit, JobCommitReply } from '../sim/device-api/messages.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import type { RotationBackend, StartingBackend } from './backend/protocol-backend.js';
import { publishJson } from './publish-json.js';
import { subscribeJson } from './subscribe-json.js';

/**
 * The backend half of job rotations (AWS IoT Jobs with the custom certificate topics of the AWS rotation guidance).
 * The renewal orchestrator starts a job when it falls due; the device renews by CSR, reconnects with the new
 * certificate and commits. The commit is served here: the backend checks that the connection really uses the new
 * certificate, then deactivates the old one.
 */
export const jobRotationBackend: StartingBackend<'job'> = {
  start: (backend) =>
    subscribeJson(backend.broker, backend.guard, {
      kind: 'job-commit',
      filter: 'devices/+/jobs/+/commit',
      serve: (deviceId, body, rest) => commit(backend, deviceId, jobIdOf(rest), body),
      refuse: (deviceId, refusal, _echo, rest) => {
        const jobId = jobIdOf(rest);
        const reply: JobCommitReply = { jobId, status: 'REJECTED', reason: `${refusal.reason}: ${refusal.problem}` };
        return publishJson(backend.broker, deviceTopics(deviceId).jobCommitRejected(jobId), reply);
      },
    }),
  startRotation(backend, { deviceId, updateId, t }) {
    const jobId = `rotate-${deviceId}-${t}`;
    backend.onJob({ deviceId, t, jobId, status: 'created' });
    return { kind: 'job', updateId, effectiveAt: t, jobId };
  },
};

function commit(backend: RotationBackend, deviceId: string, jobId: string, body: JobCommit): Promise<void> {
  const { registry, broker } = backend;
  const topics = deviceTopics(deviceId);
  const current = registry.currentOf(deviceId);
  if (current && current.serialHex === body.serialHex.toLowerCase()) {
    registry.deactivateAllBut(deviceId, current.key);
    backend.onJob({ deviceId, t: body.t, jobId, status: 'succeeded' });
    const reply: JobCommitReply = { jobId, status: 'SUCCEEDED' };
    return publishJson(broker, topics.jobCommitAccepted(jobId), reply);
  }
  backend.onJob({ deviceId, t: body.t, jobId, status: 'rejected' });
  const reply: JobCommitReply = { jobId, status: 'REJECTED', reason: 'the connection does not use the certificate being committed' };
  return publishJson(broker, topics.jobCommitRejected(jobId), reply);
}

/** `jobs/<jobId>/commit` -> the job's id. */
function jobIdOf(rest: string): string {
  return rest.split('/')[1] ?? '';
}
