import { describe, expect, it } from 'vitest';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { loadScenario, parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import { ROOT, runCli } from '../support/cli.js';
import { scenarioJsonSchema } from '../../sim/scenario/json-schema.js';
import { faultScenarioText } from '../support/fault-scenario.js';
import { HOUR } from '../support/time.js';

function problemsOf(faults: string): string[] {
  try {
    parseScenario(faultScenarioText(faults), 'faults.yaml');
  } catch (error) {
    // Each problem starts with its place in the file ("line 63, column 29: "); the path and message follow.
    if (error instanceof ScenarioError) return error.problems.map((p) => p.replace(/^line \d+, column \d+: /, ''));
    throw error;
  }
  return [];
}

describe('the faults section of a scenario', () => {
  it('accepts one fault of every kind and plans a broker event at each start and end', () => {
    const scenario = parseScenario(
      faultScenarioText(`  - { kind: message-loss, from: 2030-01-02T00:00:00Z, to: 2030-01-03T00:00:00Z, rate: 0.25, cohorts: [steady] }
  - { kind: ca-unavailable, from: 2030-01-04T00:00:00Z, to: 2030-01-05T00:00:00Z }
  - { kind: ca-slow, from: 2030-01-05T00:00:00Z, to: 2030-01-06T00:00:00Z, delay: 2h }
  - { kind: partition, from: 2030-01-07T00:00:00Z, to: 2030-01-07T12:00:00Z, cohort: other }
  - { kind: process-kill, at: 2030-01-08T00:00:00Z, device: device-3 }`),
      'faults.yaml',
    );
    const plan = planFleet(scenario, { seed: 7 });
    expect(plan.faults.map((f) => f.kind)).toEqual(['message-loss', 'ca-unavailable', 'ca-slow', 'partition', 'process-kill']);
    expect(plan.faults[2]?.delayMs).toBe(2 * HOUR);
    // "device-3" is the plan's "device-00003".
    expect(plan.faults[4]?.device).toBe('device-00003');
    const faultEvents = plan.brokerEvents.filter((e) => e.kind === 'fault-start' || e.kind === 'fault-end');
    expect(faultEvents).toHaveLength(9);
    const partition = faultEvents.find((e) => e.kind === 'fault-start' && e.fault === 3);
    const others = plan.devices.filter((d) => d.cohort === 1).map((d) => d.clientId);
    expect(partition?.kind === 'fault-start' && partition.clientIds).toEqual(others);
    const kill = faultEvents.find((e) => e.kind === 'fault-start' && e.fault === 4);
    expect(kill?.kind === 'fault-start' && kill.kill).toBe('device-00003');
    expect(plan.boundaries).toContain(Date.parse('2030-01-07T12:00:00Z'));
  });

  it('refuses an unknown key, a rate outside [0, 1], an unknown kind and a missing cohort, each with its path', () => {
    expect(problemsOf('  - { kind: message-loss, from: 2030-01-02T00:00:00Z, to: 2030-01-03T00:00:00Z, rate: 0.5, ratio: 1 }')).toEqual([
      expect.stringMatching(/^faults\[0\].*ratio/),
    ]);
    expect(problemsOf('  - { kind: message-loss, from: 2030-01-02T00:00:00Z, to: 2030-01-03T00:00:00Z, rate: 1.5 }')).toEqual([
      expect.stringMatching(/^faults\[0\]\.rate: /),
    ]);
    expect(problemsOf('  - { kind: meteor, at: 2030-01-02T00:00:00Z }')).toEqual([expect.stringMatching(/^faults\[0\]\.kind: expected a fault kind of "message-loss"/)]);
    expect(problemsOf('  - { kind: partition, from: 2030-01-02T00:00:00Z, to: 2030-01-03T00:00:00Z }')).toEqual([
      expect.stringMatching(/^faults\[0\]\.cohort: /),
    ]);
  });

  it('refuses windows outside the timeline or backwards, cohorts that do not exist and a device not in the fleet', () => {
    expect(problemsOf('  - { kind: ca-unavailable, from: 2029-12-31T00:00:00Z, to: 2030-01-03T00:00:00Z }')).toEqual([
      'faults[0].from: expected a time within the timeline (start to end)',
    ]);
    expect(problemsOf('  - { kind: ca-slow, from: 2030-01-03T00:00:00Z, to: 2030-01-02T00:00:00Z, delay: 1h }')).toEqual([
      'faults[0].to: expected "to" to be later than "from"',
    ]);
    expect(problemsOf('  - { kind: partition, from: 2030-01-02T00:00:00Z, to: 2030-01-03T00:00:00Z, cohort: nobody }')).toEqual([
      'faults[0].cohort: expected the name of a cohort in fleet.cohorts, got "nobody"',
    ]);
    expect(problemsOf('  - { kind: message-loss, from: 2030-01-02T00:00:00Z, to: 2030-01-03T00:00:00Z, rate: 0.1, cohorts: [steady, gone] }')).toEqual([
      'faults[0].cohorts[1]: expected the name of a cohort in fleet.cohorts, got "gone"',
    ]);
    expect(problemsOf('  - { kind: process-kill, at: 2030-01-02T00:00:00Z, device: device-8 }')).toEqual([
      'faults[0].device: expected a device of the fleet (device-0 to device-7), got "device-8"',
    ]);
    expect(problemsOf('  - { kind: process-kill, at: 2030-02-02T00:00:00Z, device: device-1 }')).toEqual([
      'faults[0].at: expected a time within the timeline (start to end)',
    ]);
  });

  it('is used by the shipped faults-rehearsal.yaml, one fault of each windowed kind', () => {
    const { scenario } = loadScenario(`${ROOT}scenarios/faults-rehearsal.yaml`);
    expect(scenario.faults.map((f) => f.kind)).toEqual(['message-loss', 'ca-unavailable', 'ca-slow', 'partition']);
    const validated = runCli(['validate', 'scenarios/faults-rehearsal.yaml']);
    expect(validated.status).toBe(0);
    expect(validated.stdout).toContain('  4 faults: message-loss at 2030-01-04T00:00:00.000Z; ca-unavailable at 2030-01-09T00:00:00.000Z;');
  });

  it('is in the JSON Schema for editors, unknown keys refused', () => {
    const schema = scenarioJsonSchema() as { properties: { faults: { items: { oneOf?: { additionalProperties: boolean }[]; anyOf?: { additionalProperties: boolean }[] } } } };
    const kinds = schema.properties.faults.items.oneOf ?? schema.properties.faults.items.anyOf ?? [];
    expect(kinds).toHaveLength(5);
    expect(kinds.every((k) => k.additionalProperties === false)).toBe(true);
  });
});
