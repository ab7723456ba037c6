import type { Cause } from '../causes.js';
import type { FaultKind } from '../scenario/fault-schema.js';
import type { ConnectionCutReason } from '../stats/broker-stats.js';
import type { DeviceRequestKind } from '../device-api/messages.js';
import type { RotationMethod } from '../device-api/rotation-protocols.js';

/**
 * One line of a run's raw event stream (`events.ndjson`). `t` is true (scenario) time in ms; writers add an ISO
 * copy. Device and broker events name the device; the coordinator adds the cohort.
 */
export type FleetEvent =
  | {
      type: 'device.connect';
      t: number;
      device: string;
      /** ok, or the device's own verdict on the broker, or a transport failure, or connection_refused. */
      cause: Cause;
      /**
       * Set when the cause is the device's reading of a real broker's refusal, not a verdict anyone recorded: the TLS
       * alert or CONNACK code it came from ("tls-alert:45 certificate_expired", "connack:5"; sim/tls/alert-causes.ts).
       */
      inferredFrom?: string | undefined;
      certificateCause?: Cause | undefined;
      clockSkewMs?: number | undefined;
      /** Labels of the path the device built, leaf first. */
      path?: string[] | undefined;
      /** The certificate whose check decided a failure. */
      failed?: string | undefined;
      /** 'bootstrap': a provisioning-only session on the device's bootstrap identity, not its operational one. */
      identity?: 'bootstrap' | undefined;
      /** Traced runs (certfleet repro) only: what the device saw and held, to check it again with openssl. */
      trace?: ConnectTrace | undefined;
    }
  | {
      type: 'device.rotation';
      t: number;
      device: string;
      method: RotationMethod;
      outcome: 'succeeded' | 'failed';
      cause: Cause;
      /** A reconnect a real broker refused: what the cause was inferred from (see device.connect). */
      inferredFrom?: string | undefined;
      /** The step that failed. */
      step?: RotationStep | undefined;
      /** Wall milliseconds from key generation to the CONNACK on the new certificate. */
      latencyMs?: number | undefined;
      /** Wall milliseconds from key generation until the issued certificate passed the device's own check. */
      issuedAfterMs?: number | undefined;
      /** Consecutive attempts for this renewal, this one included. */
      attempt: number;
    }
  | { type: 'device.locked-out'; t: number; device: string; certificateExpiredAt: number }
  | { type: 'device.recovery'; t: number; device: string; via: 'bootstrap'; certificateExpiredAt: number }
  | { type: 'device.trust-update'; t: number; device: string; updateId: string; result: string }
  | {
      type: 'broker.admission';
      t: number;
      device: string;
      cause: Cause;
      certificateCause?: Cause | undefined;
      failed?: string | undefined;
      /** time_claim_outside_epoch: the time the client claimed in its CONNECT user name, as it wrote it. */
      claimed?: string | undefined;
      /** A broker that ignores time claims (`certfleet broker`): the time the user name claimed, not read. */
      claimIgnored?: string | undefined;
      /**
       * Admitted connects only (cause ok), recorded when the broker keeps a decision log (`certfleet broker`): what
       * the session may do (operational; bootstrap or renewal: provisioning only), and the certificate it presented.
       */
      role?: 'operational' | 'bootstrap' | 'renewal' | undefined;
      /** The client certificate's serial number (hex) and notAfter (ms), where it sent one. */
      serial?: string | undefined;
      notAfter?: number | undefined;
    }
  | {
      /** A device request the backend did not serve; `t` is the broker's current time, never the claimed one. */
      type: 'broker.request-refused';
      t: number;
      device: string;
      request: DeviceRequestKind;
      reason: Extract<Cause, 'malformed_request' | 'time_claim_outside_epoch'> | 'internal_error';
      problem: string;
    }
  | {
      type: 'broker.issuance';
      t: number;
      device: string;
      ok: boolean;
      /** A refused CSR: why (weak_key, subject_mismatch, revoked, ServiceUnavailable, ...). */
      reason?: string | undefined;
      /** An issued certificate: its serial number (hex) and notAfter (ms). */
      serial?: string | undefined;
      notAfter?: number | undefined;
    }
  | { type: 'broker.registration'; t: number; device: string; ok: boolean; reason?: string | undefined }
  | { type: 'broker.job'; t: number; device: string; jobId: string; status: 'created' | 'succeeded' | 'rejected' }
  | { type: 'broker.server-certificate'; t: number; name: string }
  | {
      type: 'broker.restart';
      t: number;
      downFor: number;
      /** A broker instance that died and was restarted (not a scenario event): which, and how many sessions it held. */
      instance?: number | undefined;
      sessions?: number | undefined;
    }
  | { type: 'broker.revocation'; t: number; target: string; certificates: number }
  | { type: 'broker.device-authorities'; t: number; authorities: string[] }
  /**
   * A cloud-to-device delivery (trust-bundle update, certificate payload), recorded when the broker keeps a decision
   * log: sent to an online device, acknowledged by it, queued for its next connect (offline, or its session ended
   * first), handed over in the answer to its sync request, or lost (an injected loss).
   */
  | { type: 'broker.delivery'; t: number; device: string; updateId: string; kind: string; outcome: DeliveryOutcomeKind }
  /**
   * A TLS handshake that failed before MQTT, recorded when the broker keeps a decision log: `alert` is the TLS alert
   * the client sent (RFC 8446 6.2: "tls-alert:48 unknown_ca" when it rejects the broker's chain), `code` and `reason`
   * what the broker's TLS stack said (Node's error code, OpenSSL's message).
   */
  | { type: 'broker.tls-failure'; t: number; source: string; alert?: string | undefined; code?: string | undefined; reason: string }
  /** A connection cut off by a connection limit; `detail` says it in words ("file descriptors exhausted"). */
  | { type: 'broker.connection-cut'; t: number; reason: ConnectionCutReason; source: string; detail: string }
  /** An injected fault (scenario `faults[fault]`) begins or ends; a process kill only begins. */
  | { type: 'fault.start'; t: number; fault: number; kind: FaultKind; label: string }
  | { type: 'fault.end'; t: number; fault: number; kind: FaultKind }
  /** What a fault did to one device at t. */
  | { type: 'fault.effect'; t: number; fault: number; device: string; effect: FaultEffect };

/**
 * message-delivered / message-lost: a cloud-to-device message sent in a loss window, and its fate; request-refused /
 * request-delayed: a CSR the CA refused (503) or served late; connect-failed / session-dropped: a partition;
 * process-killed: a device whose process was killed.
 */
export type FaultEffect = 'message-delivered' | 'message-lost' | 'request-refused' | 'request-delayed' | 'connect-failed' | 'session-dropped' | 'process-killed';

export type FleetEventType = FleetEvent['type'];

/** What became of one delivery (the `broker.delivery` event). */
export type DeliveryOutcomeKind = 'sent' | 'acknowledged' | 'queued' | 'synced' | 'lost';

/** How a device got a certificate: the rotation protocol's name (sim/device-api/rotation-protocols.ts). */
export type { RotationMethod };

/**
 * request: CSR out, certificate back; register: the ownership token redeemed; check: the device judges the
 * certificate; reconnect: the broker judges it; commit: the backend confirms the device uses it.
 */
export type RotationStep = 'request' | 'register' | 'check' | 'reconnect' | 'commit';

/** What a traced device (certfleet repro) records of one connect, to check it again with openssl. */
export interface ConnectTrace {
  /** The device's clock reading at the connect, ms since the Unix epoch. */
  clockReading: number;
  pathBuilding: 'trusted-first' | 'untrusted-first';
  anchorExpiry: 'enforce' | 'ignore';
  /** The certificates the broker presented, leaf first, PEM. */
  presented: string[];
  /** The device's trust anchors at that moment, PEM. */
  anchors: string[];
  /** The path the device built, leaf first, PEM. */
  path: string[];
  /** The host name the device dialled and checked the leaf against. */
  serverName: string;
}
