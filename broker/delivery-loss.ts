import type { DeliveryMessage } from '../sim/device-api/messages.js';
import type { FleetEvent } from '../sim/events/fleet-event.js';
import { inWindow, messageLost, type PlannedFault } from '../sim/plan/fault-plan.js';

/**
 * message-loss faults on the backend's pushes (trust bundles, certificate pushes, job notifications): whether the
 * push sent to an online device at true time `now()` is lost. Each push in a loss window is recorded (delivered or
 * lost) so the results can set the lost against the sent. The draw is the seed's, the device's and the update's
 * (sim/plan/fault-plan.ts messageLost).
 */
export function deliveryLoss(
  seed: number,
  faults: { planned: readonly PlannedFault[]; cohortOf: Readonly<Record<string, number>> },
  now: () => number,
  onEvent: (event: FleetEvent) => void,
): ((deviceId: string, message: DeliveryMessage) => boolean) | undefined {
  const losses = faults.planned.filter((f) => f.kind === 'message-loss');
  if (losses.length === 0) return undefined;
  return (deviceId, message) => {
    const t = now();
    const cohort = faults.cohortOf[deviceId];
    const fault = losses.find((f) => inWindow(f, t) && (f.cohorts === undefined || (cohort !== undefined && f.cohorts.includes(cohort))));
    if (!fault) return false;
    const lost = messageLost(seed, deviceId, message.updateId, fault.rate ?? 0);
    onEvent({ type: 'fault.effect', t, fault: fault.index, device: deviceId, effect: lost ? 'message-lost' : 'message-delivered' });
    return lost;
  };
}
