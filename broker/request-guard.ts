import type { FleetEvent } from '../sim/events/fleet-event.js';
import type { BrokerStats } from '../sim/stats/broker-stats.js';
import type { TimeClaims } from './broker-config.js';
import type { EpochWindow } from './epoch-window.js';
import type { RequestGuard } from './subscribe-json.js';

/**
 * The guard the backend services share: device requests they do not serve are counted in the broker stats by kind
 * and recorded as `broker.request-refused` at the broker's own time (never at one the device wrote).
 */
export function countingRequestGuard(
  window: EpochWindow,
  stats: BrokerStats,
  onEvent: (event: FleetEvent) => void,
  timeClaims: TimeClaims = 'accept',
): RequestGuard {
  return {
    window,
    timeClaims,
    onRefused: ({ deviceId, kind, refusal }) => {
      if (refusal.reason === 'malformed_request') stats.malformedRequests[kind] = (stats.malformedRequests[kind] ?? 0) + 1;
      else if (refusal.reason === 'time_claim_outside_epoch') stats.timeClaimsRefused[kind] = (stats.timeClaimsRefused[kind] ?? 0) + 1;
      else stats.requestFailures += 1;
      onEvent({ type: 'broker.request-refused', t: window.now, device: deviceId, request: kind, reason: refusal.reason, problem: refusal.problem });
    },
  };
}
