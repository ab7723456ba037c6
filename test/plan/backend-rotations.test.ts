import { describe, expect, it } from 'vitest';
import { backendRotations } from '../../sim/plan/backend-rotations.js';
import { deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { DAY } from '../support/time.js';
import { tinyScenario, TINY_SCENARIO } from '../support/tiny-scenario.js';

/** The tiny scenario with its first cohort on `first` and its second on `second` (rotation entries). */
function scenarioWith(first: string, second: string) {
  return tinyScenario(
    TINY_SCENARIO.replace('      trustStore: { anchors: [server-root] }\n', `      trustStore: { anchors: [server-root] }\n      rotation: ${first}\n`).replace(
      '      trustStore: { anchors: [server-root, other-root] }\n',
      `      trustStore: { anchors: [server-root, other-root] }\n      rotation: ${second}\n`,
    ),
  );
}

describe('the rotations the backend starts', () => {
  it('are those of the devices of job and push cohorts, each with its cohort\'s lead time', () => {
    const plan = planFleet(scenarioWith('{ protocol: job, before: 10d }', '{ protocol: push, before: 3d }'), { seed: 7, devices: 8 });
    const rotations = backendRotations(plan);
    expect(rotations.size).toBe(8);
    for (const device of plan.devices) {
      expect(rotations.get(device.id)).toEqual(device.cohort === 0 ? { protocol: 'job', beforeMs: 10 * DAY } : { protocol: 'push', beforeMs: 3 * DAY });
    }
  });

  it('leave out the devices that renew on their own, which are sent nothing unasked', () => {
    const plan = planFleet(scenarioWith('{ protocol: job, before: 10d }', '{ protocol: fleet-provisioning }'), { seed: 7, devices: 8 });
    const rotations = backendRotations(plan);
    for (const device of plan.devices) {
      expect(rotations.has(device.id)).toBe(device.cohort === 0);
      expect(deviceProfile(plan, device).receivesDeliveries).toBe(device.cohort === 0);
    }
  });
});
