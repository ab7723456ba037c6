import { backendRotations, type BackendRotation } from './backend-rotations.js';
import type { FleetPlan } from './fleet-plan.js';

/** What the broker and backend take from the fleet plan, whoever starts them (a run, the standalone broker). */
export interface BrokerPlan {
  /** Each device's index in the fleet: its place in the capacity queues. */
  deviceIndex: Record<string, number>;
  backendRotations: Map<string, BackendRotation>;
  /** The planned faults, and the cohort of each device id and client id (a partition cuts a cohort). */
  faults: { planned: FleetPlan['faults']; cohortOf: Record<string, number> };
}

export function brokerPlanOf(plan: FleetPlan): BrokerPlan {
  return {
    deviceIndex: Object.fromEntries(plan.devices.map((d) => [d.id, d.index])),
    backendRotations: backendRotations(plan),
    faults: { planned: plan.faults, cohortOf: Object.fromEntries(plan.devices.flatMap((d) => [[d.id, d.cohort], [d.clientId, d.cohort]])) },
  };
}
