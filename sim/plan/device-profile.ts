import { isBackendDriven } from '../device-api/rotation-protocols.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { Scenario, ScenarioClock, ScenarioCohort } from '../scenario/schema.js';
import type { ClockModel } from '../time/device-clock.js';
import { deviceFaults, type DeviceFaults } from './fault-plan.js';
import type { FleetPlan, PlannedDevice } from './fleet-plan.js';

/**
 * The per-device draws that make device i itself: its clock's drift, when its first certificate was issued, the
 * phase of its outages. Drawn from the run seed and the device id only, so every thread derives the same profile.
 */
export interface DeviceProfile {
  index: number;
  id: string;
  /** The MQTT client id (and certificate CN) it presents. */
  clientId: string;
  cohortIndex: number;
  cohort: ScenarioCohort;
  clock: ClockModel;
  /** When the factory issued the first certificate (true time). */
  firstIssuedAt: number;
  /** Offset of each outage series' first start from the timeline start. */
  outagePhases: number[];
  /**
   * Whether the backend may send this device something it did not ask for (a planned delivery, a rotation job or a
   * pushed certificate), so it subscribes and asks for what was queued each time it connects.
   */
  receivesDeliveries: boolean;
  /** The injected faults this device lives through (partitions of its cohort, message loss). */
  faults: DeviceFaults;
}

export function deviceProfile(plan: FleetPlan, device: PlannedDevice): DeviceProfile {
  const { scenario, seed } = plan;
  const cohort = scenario.fleet.cohorts[device.cohort];
  if (!cohort) throw new RangeError(`device ${device.id} has no cohort ${device.cohort}`);
  const random = new SeededRandom(seed, `${device.id}/profile`);
  const clock = clockModel(cohort.clock, random);
  const firstIssuedAt = firstIssueTime(scenario, cohort, random);
  const outagePhases = cohort.connectivity.outages.map((o) => Math.floor(random.next() * o.every));
  const receivesDeliveries = isBackendDriven(cohort.rotation.protocol) || deliveryTargets(plan).has(device.id);
  const faults = deviceFaults(plan.faults ?? [], device.cohort);
  return { index: device.index, id: device.id, clientId: device.clientId, cohortIndex: device.cohort, cohort, clock, firstIssuedAt, outagePhases, receivesDeliveries, faults };
}

const deliveryTargetsOf = new WeakMap<FleetPlan, ReadonlySet<string>>();

/** The devices some planned delivery is addressed to, computed once per plan. */
function deliveryTargets(plan: FleetPlan): ReadonlySet<string> {
  let targets = deliveryTargetsOf.get(plan);
  if (!targets) {
    targets = new Set(plan.deliveries.map((d) => d.deviceId));
    deliveryTargetsOf.set(plan, targets);
  }
  return targets;
}

export function clockModel(clock: ScenarioClock, random: SeededRandom): ClockModel {
  const drift = typeof clock.driftPpm === 'number' ? clock.driftPpm : random.between(clock.driftPpm.min, clock.driftPpm.max);
  return {
    offsetMs: clock.offset,
    driftPpm: drift,
    boot: clock.boot && { resetTo: clock.boot.resetTo, syncAfterMs: syncDelay(clock.boot.syncAfter, random) },
    syncEveryMs: clock.syncEvery,
    jumps: clock.jumps.map((j) => ({ at: j.at, byMs: j.by })),
  };
}

function syncDelay(syncAfter: 'never' | number | { min: number; max: number }, random: SeededRandom): number | undefined {
  if (syncAfter === 'never') return undefined;
  if (typeof syncAfter === 'number') return syncAfter;
  return Math.round(random.between(syncAfter.min, syncAfter.max));
}

function firstIssueTime(scenario: Scenario, cohort: ScenarioCohort, random: SeededRandom): number {
  const { issued, lifetime } = scenario.pki.deviceCertificates;
  if (issued === 'spread') {
    // A fleet in steady state: renewals fall evenly over the first renewal period of the timeline.
    return Math.floor(scenario.timeline.start - random.next() * cohort.renewal.at * lifetime);
  }
  return Math.floor(random.between(issued.from, issued.to));
}
