import type { Cause } from '../../sim/causes.js';
import {
  fromAwsSeconds,
  type JobExecution,
  type JobsRejected,
  type NextJobExecutionChanged,
  type StartNextAccepted,
  type UpdateAccepted,
} from '../../sim/device-api/jobs-messages.js';
import type { DeliveryMessage } from '../../sim/device-api/messages.js';
import { jobsTopics } from '../../sim/device-api/topics.js';
import type { BrokerSession } from '../broker-session.js';
import { requestCertificate } from './csr-rotation.js';
import type { BackendStartedHalf, RotationHost, RotationOutcome } from './rotation-protocol.js';

type JobDelivery = Extract<DeliveryMessage, { kind: 'job' }>;

/**
 * A rotation the backend started as an AWS IoT Jobs job (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html):
 * the device learns of it by notify-next while online, or finds it with start-next when it connects; the job
 * document sends it to the CSR topics. It renews by CSR, reconnects with the new certificate and reports SUCCEEDED
 * with UpdateJobExecution, naming the certificate; the backend accepts only if the connection really uses it, and
 * only then deactivates the old one. A device whose new certificate fails to connect rolls back to the old one,
 * which is still active.
 */
export const jobRotation: BackendStartedHalf<'job'> = {
  // A rotation job: renew by CSR at the job's time, reconnect, report SUCCEEDED.
  receive: (host, message, attempt) => (t) => runJobRotation(host, t, attempt, message.jobId),
  attach: (host, session, t, receive) => attachJobs(host, session, t, receive),
};

/**
 * The jobs each device has taken (started): a job in progress that start-next hands back at a reconnect is the one
 * the device is running or has given up on, not a new one. The backend starts a rotation again with a new job.
 */
const taken = new WeakMap<RotationHost, Set<string>>();

function take(host: RotationHost, execution: JobExecution | undefined): JobDelivery | undefined {
  if (!execution || execution.jobDocument?.operation !== 'rotate-certificate') return undefined;
  const jobs = taken.get(host) ?? new Set<string>();
  taken.set(host, jobs);
  if (jobs.has(execution.jobId)) return undefined;
  jobs.add(execution.jobId);
  return { kind: 'job', updateId: execution.jobId, effectiveAt: fromAwsSeconds(execution.queuedAt), jobId: execution.jobId };
}

/**
 * Push: notify-next while the device is online (the backend sends it between epochs, when the device is idle), taken
 * at once and started with start-next, which is what acknowledges it to the backend's delivery service. Pull: a
 * start-next right after connecting and syncing, at the connect's true time, for a job queued while it was away.
 */
async function attachJobs(host: RotationHost, session: BrokerSession, t: number, receive: (message: JobDelivery, receivedAt?: number) => void): Promise<void> {
  const topics = jobsTopics(host.deviceId);
  session.onMessage(topics.notifyNext, (_topic, payload) => {
    const changed = parse<NextJobExecutionChanged>(payload);
    const job = changed?.execution?.status === 'QUEUED' ? take(host, changed.execution) : undefined;
    if (!job) return;
    // Taken before start-next goes out: when the backend sees the acknowledgement, the device has the job.
    receive(job);
    session.publish(topics.startNext, { clientToken: `notified-${job.effectiveAt}` }).catch(() => undefined);
  });
  const clientToken = `connect-${t}`;
  const answer = await session.requestAny<StartNextAccepted | JobsRejected>(
    topics.startNext,
    { clientToken, t },
    [topics.startNextAccepted, topics.startNextRejected],
    (reply) => reply.clientToken === clientToken,
    host.env.options.rotationTimeoutMs,
  );
  const job = answer && 'execution' in answer.reply ? take(host, answer.reply.execution) : undefined;
  if (job) receive(job, t);
}

async function runJobRotation(host: RotationHost, t: number, attempt: number, jobId: string): Promise<RotationOutcome> {
  const session = host.session();
  if (!session) return { kind: 'failed', cause: 'rotation_timeout', step: 'request' };
  return reportingFailure(host, jobId, await requestCertificate(host, session, t, attempt), t);
}

/**
 * The rotation's outcome, with the job execution reported FAILED (UpdateJobExecution) where a step fails while the
 * device has a session: a failed request, or a SUCCEEDED the backend refused. A reconnect on the new certificate that
 * fails leaves the execution in progress until the backend starts the rotation again (it then times out).
 */
async function reportingFailure(host: RotationHost, jobId: string, outcome: RotationOutcome, t: number): Promise<RotationOutcome> {
  if (outcome.kind === 'failed') {
    await reportFailed(host, host.session(), t, jobId, outcome.cause, outcome.step);
    return outcome;
  }
  if (outcome.kind === 'continue') return { ...outcome, resume: async (at) => reportingFailure(host, jobId, await outcome.resume(at), at) };
  return {
    ...outcome,
    afterInstall: async (newSession, at) => {
      const cause = await reportSucceeded(host, newSession, at, jobId, outcome.credentials.certificate.serialHex);
      if (cause === 'commit_rejected') await reportFailed(host, newSession, at, jobId, cause, 'commit');
      return cause;
    },
  };
}

/** UpdateJobExecution FAILED, with why in statusDetails; its answer changes nothing for the device. */
async function reportFailed(host: RotationHost, session: BrokerSession | undefined, t: number, jobId: string, cause: Cause, step: string): Promise<void> {
  if (!session) return;
  const topics = jobsTopics(host.deviceId);
  const clientToken = `failed-${t}`;
  await session.requestAny<UpdateAccepted | JobsRejected>(
    topics.update(jobId),
    { status: 'FAILED', statusDetails: { cause, step }, clientToken, t },
    [topics.updateAccepted(jobId), topics.updateRejected(jobId)],
    (reply) => reply.clientToken === clientToken,
    host.env.options.rotationTimeoutMs,
  );
}

/** UpdateJobExecution SUCCEEDED naming the certificate the new session uses (its serial): the commit. */
async function reportSucceeded(host: RotationHost, session: BrokerSession, t: number, jobId: string, serialHex: string): Promise<Cause | undefined> {
  const topics = jobsTopics(host.deviceId);
  const clientToken = `succeeded-${t}`;
  const answer = await session.requestAny<UpdateAccepted | JobsRejected>(
    topics.update(jobId),
    { status: 'SUCCEEDED', statusDetails: { certificateId: serialHex }, clientToken, t },
    [topics.updateAccepted(jobId), topics.updateRejected(jobId)],
    (reply) => reply.clientToken === clientToken,
    host.env.options.rotationTimeoutMs,
  );
  if (!answer) return 'rotation_timeout';
  return answer.topic === topics.updateAccepted(jobId) ? undefined : 'commit_rejected';
}

function parse<T>(payload: Buffer): T | undefined {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
