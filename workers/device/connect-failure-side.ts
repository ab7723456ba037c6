import type { Cause } from '../../sim/causes.js';
import type { ConnectFailureSide } from '../../sim/stats/fleet-counters.js';
import type { DialOutcome } from '../broker-session.js';

/** Causes of a connection that failed before or without anyone's verdict on a certificate. */
const TRANSPORT_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['broker_unreachable', 'tls_handshake_failed', 'connect_timeout']);

/**
 * Who ended a failed dial (workers/broker-session.ts): the device, when its own verdict on the server's chain failed;
 * the broker, when a real broker's TLS alert or CONNACK code told the cause (`inferredFrom`) or the broker answered a
 * refusal; otherwise the transport (unreachable, reset, closed with no answer, timed out).
 */
export function connectFailureSide(outcome: Extract<DialOutcome, { ok: false }>): ConnectFailureSide {
  if (outcome.verdict && outcome.verdict.cause !== 'ok') return 'rejectedByDevice';
  if (outcome.inferredFrom !== undefined) return 'refusedByBroker';
  return TRANSPORT_CAUSES.has(outcome.cause) ? 'transport' : 'refusedByBroker';
}
