import type { Cause } from '../causes.js';

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
      certificateCause?: Cause | undefined;
      clockSkewMs?: number | undefined;
      /** Labels of the path the device built, leaf first. */
      path?: string[] | undefined;
      /** The certificate whose check decided a failure. */
      failed?: string | undefined;
    }
  | {
      type: 'device.rotation';
      t: number;
      device: string;
      outcome: 'succeeded' | 'failed';
      cause: Cause;
      /** Wall milliseconds from key generation to the CONNACK on the new certificate. */
      latencyMs?: number | undefined;
      attempt: number;
    }
  | { type: 'device.locked-out'; t: number; device: string; certificateExpiredAt: number }
  | { type: 'device.trust-update'; t: number; device: string; updateId: string; result: string }
  | {
      type: 'broker.admission';
      t: number;
      device: string;
      cause: Cause;
      certificateCause?: Cause | undefined;
      failed?: string | undefined;
    }
  | { type: 'broker.issuance'; t: number; device: string; ok: boolean; reason?: string | undefined }
  | { type: 'broker.server-certificate'; t: number; name: string }
  | { type: 'broker.revocation'; t: number; target: string; certificates: number }
  | { type: 'broker.device-authorities'; t: number; authorities: string[] };

export type FleetEventType = FleetEvent['type'];
