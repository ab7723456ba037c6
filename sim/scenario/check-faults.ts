import type { Scenario } from './schema.js';

type Problem = (path: (string | number)[], message: string) => void;

/**
 * What the fault schema cannot check: windows ordered and inside the timeline, cohorts that exist, a killed
 * device that is in the fleet. Rates in [0, 1] and unknown keys are the schema's.
 */
export function checkFaults(scenario: Scenario, problem: Problem): void {
  const { start, end } = scenario.timeline;
  const cohorts = new Set(scenario.fleet.cohorts.map((c) => c.name));
  const expectCohort = (path: (string | number)[], ref: string) => {
    if (!cohorts.has(ref)) problem(path, `expected the name of a cohort in fleet.cohorts, got "${ref}"`);
  };
  const within = (path: (string | number)[], t: number) => {
    if (t < start || t > end) problem(path, 'expected a time within the timeline (start to end)');
  };
  scenario.faults.forEach((f, i) => {
    const path = ['faults', i];
    if (f.kind === 'process-kill') {
      within([...path, 'at'], f.at);
      const index = Number(f.device.slice('device-'.length));
      if (index >= scenario.fleet.devices) {
        problem([...path, 'device'], `expected a device of the fleet (device-0 to device-${scenario.fleet.devices - 1}), got "${f.device}"`);
      }
      return;
    }
    within([...path, 'from'], f.from);
    within([...path, 'to'], f.to);
    if (f.to <= f.from) problem([...path, 'to'], 'expected "to" to be later than "from"');
    if (f.kind === 'partition') expectCohort([...path, 'cohort'], f.cohort);
    if (f.kind === 'message-loss') f.cohorts?.forEach((ref, j) => expectCohort([...path, 'cohorts', j], ref));
  });
}
