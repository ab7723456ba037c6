import type { z } from 'zod';
import type { Cause } from '../sim/causes.js';
import { DEVICE_REQUESTS, type DeviceRequestKind } from '../sim/device-api/messages.js';
import { parseDeviceTopic } from '../sim/device-api/topics.js';
import type { BrokerLink } from './backend/broker-link.js';
import type { TimeClaims } from './broker-config.js';
import type { EpochWindow } from './epoch-window.js';

/** The problem of a request whose body is not JSON at all (AWS IoT Jobs answers it with InvalidJson). */
export const NOT_JSON = 'the body is not JSON (RFC 8259)';

export type RequestBody<K extends DeviceRequestKind> = z.infer<(typeof DEVICE_REQUESTS)[K]['schema']>;

/** Why the backend did not serve a request: it broke the contract, claimed a time outside the epoch, or serving failed. */
export interface RequestRefusal {
  /** A cause of sim/causes.ts when the device is at fault; `internal_error` when the backend is. */
  reason: Extract<Cause, 'malformed_request' | 'time_claim_outside_epoch'> | 'internal_error';
  /** One line: what was wrong, for the record and the device. */
  problem: string;
}

/** What every backend service on device topics shares: the epoch window, and where refusals and failures go. */
export interface RequestGuard {
  window: EpochWindow;
  /**
   * 'ignore': a request's `t` is not believed; it is served at the broker's clock (`window.now`) whatever it says
   * (`certfleet broker`). 'accept' (default): a `t` inside the epoch is served at that time.
   */
  timeClaims?: TimeClaims | undefined;
  onRefused: (record: { deviceId: string; kind: DeviceRequestKind; refusal: RequestRefusal }) => void;
}

export interface DeviceRequestService<K extends DeviceRequestKind> {
  kind: K;
  /** A device topic filter, `devices/+/...`. */
  filter: string;
  /** Serves a body that passed the request's schema (and, if it claims a time, lies in the current epoch). */
  serve: (deviceId: string, body: RequestBody<K>, topicRest: string) => void | Promise<void>;
  /**
   * Answers a request that was not served, where the protocol has a reply topic; `requestId` (certfleet's) or
   * `clientToken` (AWS IoT Jobs') is the one the body carried, if it was readable, so the device can match the answer.
   */
  refuse?:
    | ((deviceId: string, refusal: RequestRefusal, echo: { requestId?: string | undefined; clientToken?: string | undefined }, topicRest: string) => void | Promise<void>)
    | undefined;
}

/**
 * A backend service's subscription to a device topic filter: the device id comes from the topic, which the topic
 * policy ties to the publishing client. Only a body that passes the request's schema in the device/backend contract
 * (sim/device-api/messages.ts), and claims a true time inside the current epoch, reaches `serve`; any other is
 * refused on the reply topic and counted. Nothing a handler throws or rejects with reaches the MQTT client: one
 * device's request must never take down the backend that serves every device.
 */
export function subscribeJson<K extends DeviceRequestKind>(link: BrokerLink, guard: RequestGuard, service: DeviceRequestService<K>): Promise<void> {
  const contract = DEVICE_REQUESTS[service.kind];
  const refuse = (deviceId: string, refusal: RequestRefusal, raw: unknown, rest: string) => {
    guard.onRefused({ deviceId, kind: service.kind, refusal });
    if (!service.refuse) return;
    // A refusal that cannot be sent is already recorded; it must not become a failure of its own.
    settle(() => service.refuse?.(deviceId, refusal, { requestId: echoedId(raw, 'requestId'), clientToken: echoedId(raw, 'clientToken') }, rest), () => undefined);
  };
  const receive = (topicName: string, payload: Buffer) => {
    const topic = parseDeviceTopic(topicName);
    if (!topic) return;
    const { deviceId, rest } = topic;
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      refuse(deviceId, { reason: 'malformed_request', problem: NOT_JSON }, undefined, rest);
      return;
    }
    const parsed = contract.schema.safeParse(raw);
    if (!parsed.success) {
      refuse(deviceId, { reason: 'malformed_request', problem: firstIssue(parsed.error) }, raw, rest);
      return;
    }
    const sent = parsed.data as RequestBody<K>;
    // A broker that ignores claims serves the request at its own clock, as if the device had sent that time.
    const body = guard.timeClaims === 'ignore' && 't' in sent ? { ...sent, t: guard.window.now } : sent;
    // A body without `t` (an AWS client's: AWS's requests carry none) is served at the broker's clock, guard.window.now.
    if (contract.claimsTime && 't' in body && body.t !== undefined && !guard.window.admits(body.t)) {
      refuse(deviceId, { reason: 'time_claim_outside_epoch', problem: guard.window.describeRefusal(body.t) }, raw, rest);
      return;
    }
    settle(
      () => service.serve(deviceId, body, rest),
      (error) => refuse(deviceId, { reason: 'internal_error', problem: `serving the request failed: ${messageOf(error)}` }, raw, rest),
    );
  };
  return link.subscribe(service.filter, (topicName, payload) => {
    try {
      receive(topicName, payload);
    } catch (error) {
      // Only the guard's own recording is left to fail here: try once more to record it, and never rethrow.
      try {
        const deviceId = parseDeviceTopic(topicName)?.deviceId ?? '';
        guard.onRefused({ deviceId, kind: service.kind, refusal: { reason: 'internal_error', problem: messageOf(error) } });
      } catch {
        // Nothing is left that could record it; the backend keeps serving.
      }
    }
  });
}

/** Runs `work`, sending whatever it throws or rejects with to `onError` instead of up the stack. */
function settle(work: () => void | Promise<void>, onError: (error: unknown) => void): void {
  try {
    const pending = work();
    if (pending) pending.catch(onError);
  } catch (error) {
    onError(error);
  }
}

function echoedId(raw: unknown, field: 'requestId' | 'clientToken'): string | undefined {
  if (typeof raw !== 'object' || raw === null || !(field in raw)) return undefined;
  const id = (raw as Record<string, unknown>)[field];
  return typeof id === 'string' && id.length > 0 && id.length <= 1024 ? id : undefined;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'the body does not match the request schema';
  const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return `${path}: ${issue.message}`.slice(0, 200);
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
