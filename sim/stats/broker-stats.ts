import type { Cause } from '../causes.js';

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
    issuanceRejectedByReason: {},
    registrationsRejected: 0,
    jobsCreated: 0,
    jobsSucceeded: 0,
    topicDenied: 0,
    tlsErrors: 0,
    connected: 0,
  };
}
