import type { DeviceRequestKind } from '../../sim/device-api/messages.js';
import {
  awsSeconds,
  type DescribeAccepted,
  type GetPendingAccepted,
  type JobsRejected,
  type NextJobExecutionChanged,
  type StartNextAccepted,
  type UpdateAccepted,
  type UpdateRequest,
} from '../../sim/device-api/jobs-messages.js';
import { jobsTopics, mountAwsTopic } from '../../sim/device-api/topics.js';
import type { BrokerLink } from '../backend/broker-link.js';
import { publishJson } from '../publish-json.js';
import { NOT_JSON, subscribeJson, type RequestGuard, type RequestRefusal } from '../subscribe-json.js';
import { executionOf, stateOf, type JobStore, type JobsRefusal, type StoredExecution } from './job-store.js';

/** What the Jobs API needs of the backend. */
export interface JobsApiOptions {
  broker: BrokerLink;
  guard: RequestGuard;
  store: JobStore;
  /** Checks an update before the store applies it (a rotation's SUCCEEDED); a refusal message, or undefined. */
  accept: (thingName: string, execution: StoredExecution, request: UpdateRequest, t: number) => string | undefined;
  /** An update was applied (`ok`) or refused by `accept` (`reason`), at t. */
  onUpdate: (thingName: string, execution: StoredExecution, outcome: { ok: boolean; reason?: string | undefined }, t: number) => void;
}

/**
 * The AWS IoT Jobs MQTT API (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html) served by the
 * backend on the mounted `devices/<id>/$aws/things/<thing>/jobs/...` topics; each answer goes to
 * `devices/<id>/$aws/...`, which reaches only device <id>, as `$aws/...`. The thing name is the client id: the topic
 * policy refuses a client publishing to another thing's topics.
 */
export async function startJobsApi(options: JobsApiOptions): Promise<void> {
  const { broker, guard, store } = options;
  const reply = (deviceId: string, topic: string, body: unknown) => publishJson(broker, mountAwsTopic(deviceId, topic), body);
  const rejected = (deviceId: string, topic: string, refusal: JobsRefusal, clientToken: string | undefined, t: number) => {
    const body: JobsRejected = { code: refusal.code, message: refusal.message, clientToken, timestamp: awsSeconds(t), executionState: refusal.executionState };
    return reply(deviceId, topic, body);
  };
  const refuse =
    (replyTopic: (thing: string, jobId: string) => string) =>
    (deviceId: string, refusal: RequestRefusal, echo: { clientToken?: string | undefined }, rest: string) => {
      const { thing, jobId } = parseJobsTopic(rest);
      return rejected(deviceId, replyTopic(thing, jobId), refusalOf(refusal), echo.clientToken, guard.window.now);
    };
  const subscribe = <K extends DeviceRequestKind>(kind: K, filter: string, serve: Parameters<typeof subscribeJson<K>>[2]['serve'], replyTopic: (thing: string, jobId: string) => string) =>
    subscribeJson(broker, guard, { kind, filter: `devices/+/$aws/things/+/jobs/${filter}`, serve, refuse: refuse(replyTopic) });

  await Promise.all([
    // StartNextPendingJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html).
    subscribe(
      'jobs-start-next',
      'start-next',
      (deviceId, body) => {
        const t = body.t ?? guard.window.now;
        const execution = store.startNext(deviceId, body, t);
        const accepted: StartNextAccepted = { execution: execution && executionOf(execution), timestamp: awsSeconds(t), clientToken: body.clientToken };
        return reply(deviceId, jobsTopics(deviceId).startNextAccepted, accepted);
      },
      (thing) => jobsTopics(thing).startNextRejected,
    ),
    // GetPendingJobExecutions (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html).
    subscribe(
      'jobs-get-pending',
      'get',
      (deviceId, body) => {
        const t = body.t ?? guard.window.now;
        const accepted: GetPendingAccepted = { ...store.pending(deviceId), timestamp: awsSeconds(t), clientToken: body.clientToken };
        return reply(deviceId, jobsTopics(deviceId).getPendingAccepted, accepted);
      },
      (thing) => jobsTopics(thing).getPendingRejected,
    ),
    // DescribeJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html).
    subscribe(
      'jobs-describe',
      '+/get',
      (deviceId, body, rest) => {
        const t = body.t ?? guard.window.now;
        const { jobId } = parseJobsTopic(rest);
        const topics = jobsTopics(deviceId);
        const found = store.describe(deviceId, jobId, body.executionNumber);
        if ('code' in found) return rejected(deviceId, topics.describeRejected(jobId), found, body.clientToken, t);
        const accepted: DescribeAccepted = { execution: executionOf(found, body.includeJobDocument ?? true), timestamp: awsSeconds(t), clientToken: body.clientToken };
        return reply(deviceId, topics.describeAccepted(jobId), accepted);
      },
      (thing, jobId) => jobsTopics(thing).describeRejected(jobId),
    ),
    // UpdateJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html).
    subscribe(
      'jobs-update',
      '+/update',
      async (deviceId, body, rest) => {
        const t = body.t ?? guard.window.now;
        const { jobId } = parseJobsTopic(rest);
        const topics = jobsTopics(deviceId);
        let refusedBecause: string | undefined;
        const result = store.update(deviceId, jobId, body, t, (execution) => {
          refusedBecause = options.accept(deviceId, execution, body, t);
          return refusedBecause;
        });
        if (!result.ok) {
          const execution = store.describe(deviceId, jobId);
          if (refusedBecause !== undefined && !('code' in execution)) options.onUpdate(deviceId, execution, { ok: false, reason: refusedBecause }, t);
          return rejected(deviceId, topics.updateRejected(jobId), result, body.clientToken, t);
        }
        options.onUpdate(deviceId, result.execution, { ok: true }, t);
        const accepted: UpdateAccepted = {
          executionState: body.includeJobExecutionState ? stateOf(result.execution) : undefined,
          jobDocument: body.includeJobDocument ? result.execution.jobDocument : undefined,
          timestamp: awsSeconds(t),
          clientToken: body.clientToken,
        };
        await reply(deviceId, topics.updateAccepted(jobId), accepted);
        // The execution left the pending ones: the thing's next pending execution changed (jobs-mqtt-api.html,
        // NextJobExecutionChanged: "whenever there is a change to the next pending job execution").
        if (result.execution.status !== 'IN_PROGRESS') await notifyNext(broker, deviceId, store.next(deviceId), t);
      },
      (thing, jobId) => jobsTopics(thing).updateRejected(jobId),
    ),
  ]);
}

/** Publishes NextJobExecutionChanged to the thing: its next pending execution, or none (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
export function notifyNext(broker: BrokerLink, thingName: string, execution: StoredExecution | undefined, t: number): Promise<void> {
  const body: NextJobExecutionChanged = { execution: execution && executionOf(execution), timestamp: awsSeconds(t) };
  return publishJson(broker, mountAwsTopic(thingName, jobsTopics(thingName).notifyNext), body);
}

/** `$aws/things/<thing>/jobs/<jobId>/<verb>` -> its thing and job id (`$next`-free verbs give an empty job id). */
function parseJobsTopic(rest: string): { thing: string; jobId: string } {
  const levels = rest.split('/');
  return { thing: levels[2] ?? '', jobId: levels.length === 6 ? (levels[4] ?? '') : '' };
}

/** A request the backend could not serve, in the Jobs API's ErrorResponse codes (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html). */
function refusalOf(refusal: RequestRefusal): JobsRefusal {
  const message = `${refusal.reason}: ${refusal.problem}`;
  if (refusal.reason === 'internal_error') return { code: 'InternalError', message };
  return { code: refusal.problem === NOT_JSON ? 'InvalidJson' : 'InvalidRequest', message };
}
