import { isBackendDriven, type BackendDrivenMethod } from '../device-api/rotation-protocols.js';
import type { FleetPlan } from './fleet-plan.js';

/** A device whose rotations the backend starts: with which protocol, and how long before expiry (its clock). */
export interface BackendRotation {
  protocol: BackendDrivenMethod;
  beforeMs: number;
}

/** The devices of the plan whose cohort's protocol is one the backend starts (a job, a push), by device id. */
export function backendRotations(plan: FleetPlan): Map<string, BackendRotation> {
  const out = new Map<string, BackendRotation>();
  for (const device of plan.devices) {
    const rotation = plan.scenario.fleet.cohorts[device.cohort]?.rotation;
    if (rotation && isBackendDriven(rotation.protocol)) out.set(device.id, { protocol: rotation.protocol, beforeMs: rotation.before });
  }
  return out;
}
