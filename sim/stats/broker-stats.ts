import type { Cause } from '../causes.js';
import type { DeviceRequestKind } from '../device-api/messages.js';

/**
 * Why the broker cut a connection off before or outside the MQTT protocol (connection limits, scenario
 * broker.connections): a handshake not finished in time, no CONNECT in time, a packet over the size limit, too many
 * connections from one address, no file descriptor left to accept one, or malformed MQTT / a protocol violation
 * (such as a second CONNECT, MQTT 3.1.1 [MQTT-3.1.0-2]).
 */
export const CONNECTION_CUT_REASONS = [
  'handshake_timeout',
  'connect_timeout',
  'packet_too_large',
  'too_many_connections_from_source',
  'fd_exhausted',
  'protocol_error',
] as const;
export type ConnectionCutReason = (typeof CONNECTION_CUT_REASONS)[number];

/** What the broker counts over a run. */
export interface BrokerStats {
  /** Devices admitted (CONNACK 0). */
  admitted: number;
  /** Devices refused (CONNACK 5), by the broker's precise cause. */
  refused: Partial<Record<Cause, number>>;
  /** Certificates the CA issued for CSRs, and CSRs it refused. */
  issued: number;
  issuanceRejected: number;
  /** CSRs the CA refused, by reason (weak_key, ambiguous_identity, subject_mismatch, ...: the broker.issuance reason). */
  issuanceRejectedByReason: Record<string, number>;
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
  /** Connections the broker cut off to protect itself, by reason (fd_exhausted: accepts that failed for want of one). */
  connectionsCut: Record<ConnectionCutReason, number>;
  /** Sessions open right now. */
  connected: number;
}

export function emptyBrokerStats(): BrokerStats {
  return {
    admitted: 0,
    refused: {},
    issued: 0,
    issuanceRejected: 0,
    issuanceRejectedByReason: {},
    registrationsRejected: 0,
    jobsCreated: 0,
    jobsSucceeded: 0,
    topicDenied: 0,
    malformedRequests: {},
    timeClaimsRefused: {},
    requestFailures: 0,
    tlsErrors: 0,
    connectionsCut: emptyConnectionCuts(),
    connected: 0,
  };
}

export function emptyConnectionCuts(): Record<ConnectionCutReason, number> {
  return Object.fromEntries(CONNECTION_CUT_REASONS.map((reason) => [reason, 0])) as Record<ConnectionCutReason, number>;
}
