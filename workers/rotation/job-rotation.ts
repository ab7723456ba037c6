import type { Cause } from '../../sim/causes.js';
import type { JobCommitReply } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import { requestCertificate } from './csr-rotation.js';
import type { BackendStartedHalf, RotationHost, RotationOutcome } from './rotation-protocol.js';

/**
 * A rotation the backend started as a job (AWS IoT Jobs with the custom certificate topics of the AWS rotation
 * guidance): the device renews by CSR, reconnects with the new certificate, then commits; the backend checks that
 * the connection really uses the new certificate and only then deactivates the old one. A device whose new
 * certificate fails to connect rolls back to the old one, which is still active.
 */
export const jobRotation: BackendStartedHalf<'job'> = {
  // A rotation job: renew by CSR at the job's time, reconnect, commit.
  receive: (host, message, attempt) => (t) => runJobRotation(host, t, attempt, message.jobId),
};

async function runJobRotation(host: RotationHost, t: number, attempt: number, jobId: string): Promise<RotationOutcome> {
  const session = host.session();
  if (!session) return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
  const outcome = await requestCertificate(host, session, t, attempt);
  if (outcome.kind !== 'install') return outcome;
  return {
    ...outcome,
    afterInstall: async (newSession, at): Promise<Cause | undefined> => {
      const topics = deviceTopics(host.deviceId);
      const answer = await newSession.requestAny<JobCommitReply>(
        topics.jobCommit(jobId),
        { t: at, serialHex: outcome.credentials.certificate.serialHex },
        [topics.jobCommitAccepted(jobId), topics.jobCommitRejected(jobId)],
        (reply) => reply.jobId === jobId,
        host.env.options.rotationTimeoutMs,
      );
      if (!answer) return 'rotation_timeout';
      return answer.reply.status === 'SUCCEEDED' ? undefined : 'commit_rejected';
    },
  };
}
