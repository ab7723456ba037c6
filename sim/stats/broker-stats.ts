import type { Cause } from '../causes.js';
import type { DeviceRequestKind } from '../device-api/messages.js';

/** What the broker counts over a run. */
export interface BrokerStats {
  /** Devices admitted (CONNACK 0). */
  admitted: number;
  /** Devices refused (CONNACK 5), by the broker's precise cause. */
  refused: Partial<Record<Cause, number>>;
  /** Certificates the CA issued for CSRs, and CSRs it refused. */
  issued: number;
  issuanceRejected: number;
  /** Fleet provisioning: RegisterThing calls refused (an expired or unknown ownership token). */
  registrationsRejected: number;
  /** Rotation jobs the backend started, and those committed. */
  jobsCreated: number;
  jobsSucceeded: number;
  /** Publishes and subscriptions outside a device's own topics. */
  topicDenied: number;
  /** Device requests refused unserved because their body breaks the contract (sim/device-api/messages.ts), by kind. */
  malformedRequests: Partial<Record<DeviceRequestKind, number>>;
  /** Device requests refused unserved because their `t` lies outside the current epoch, by kind. */
  timeClaimsRefused: Partial<Record<DeviceRequestKind, number>>;
  /** Device requests whose serving failed inside the backend; the broker recorded each and kept serving. */
  requestFailures: number;
  /** Handshakes that failed before any certificate could be judged. */
  tlsErrors: number;
  /** Sessions open right now. */
  connected: number;
}

export function emptyBrokerStats(): BrokerStats {
  return {
    admitted: 0,
    refused: {},
    issued: 0,
    issuanceRejected: 0,
    registrationsRejected: 0,
    jobsCreated: 0,
    jobsSucceeded: 0,
    topicDenied: 0,
    malformedRequests: {},
    timeClaimsRefused: {},
    requestFailures: 0,
    tlsErrors: 0,
    connected: 0,
  };
}
