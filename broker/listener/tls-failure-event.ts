import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { causeFromTlsAlert, receivedTlsAlert } from '../../sim/tls/alert-causes.js';

/**
 * A handshake that failed before MQTT, as the decision log records it: the alert the client sent, when it sent one
 * (RFC 8446 6.2: a client that rejects the broker's chain says why, "tls-alert:48 unknown_ca",
 * "tls-alert:45 certificate_expired"), and what the broker's TLS stack said, in its own words.
 */
export function tlsFailureEvent(t: number, error: NodeJS.ErrnoException, source: string): Extract<FleetEvent, { type: 'broker.tls-failure' }> {
  const alert = receivedTlsAlert(error);
  return {
    type: 'broker.tls-failure',
    t,
    source,
    alert: alert === undefined ? undefined : causeFromTlsAlert(alert).inferredFrom,
    code: error.code,
    reason: error.message.trim(),
  };
}
