/**
 * Property-based fuzzing of the scenario loader: thousands of mutated scenarios (from the shipped ones and the tiny
 * test scenario), each of which must load and plan, or be refused with the loader's own error naming a field. A
 * TypeError, RangeError, stack overflow or any other crash, or a case that does not finish, fails the test with the
 * seed and path that reproduce it (fc.assert prints both).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import { timelineSize } from '../../sim/scenario/timeline-size.js';
import { ROOT } from '../support/cli.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { mutate, mutation, textDamage, toText } from './scenario-mutations.js';

const SCENARIOS = join(ROOT, 'scenarios');
const SEEDS = [
  ...readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: f, text: readFileSync(join(SCENARIOS, f), 'utf8') })),
  { name: 'tiny-scenario.ts', text: TINY_SCENARIO },
];

/**
 * Fixed, so a failure reproduces; fast-check prints it (and the shrunk path) when a property fails. FUZZ_SEED and
 * FUZZ_RUNS in the environment explore further: FUZZ_SEED=$RANDOM FUZZ_RUNS=50000 npx vitest run test/scenario/fuzz-loader.test.ts
 */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_204);
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
/** A case that takes longer than this is a hang in the making (cases take milliseconds). */
const CASE_BUDGET_MS = 5_000;

/** "line 3, column 5: fleet.devices: expected ...", "pki.authorities[0].issuer: ...", "YAML: ...", "(top level): ..." */
const NAMES_A_FIELD = /^(line \d+, column \d+: )?(YAML: \S|\(top level\): \S|[^\s:][^:]*: \S)/s;

type Outcome = { planned: number } | { refused: readonly string[] };

/** Parse, check and plan a scenario text the way `certfleet run` does, for a small fleet. */
function loadAndPlan(text: string): Outcome {
  let scenario;
  try {
    scenario = parseScenario(text, 'fuzzed.yaml', { baseDir: SCENARIOS });
  } catch (error) {
    if (error instanceof ScenarioError) return { refused: error.problems };
    throw error;
  }
  timelineSize(scenario);
  const devices = Math.min(scenario.fleet.devices, 12);
  const plan = planFleet(scenario, { seed: scenario.seed, devices });
  for (const device of plan.devices) deviceProfile(plan, device);
  return { planned: plan.devices.length };
}

function checkCase(text: string): Outcome {
  const started = performance.now();
  const outcome = loadAndPlan(text);
  const elapsed = performance.now() - started;
  expect(elapsed, `a case took ${Math.round(elapsed)} ms`).toBeLessThan(CASE_BUDGET_MS);
  if ('planned' in outcome) {
    expect(outcome.planned).toBeGreaterThan(0);
    return outcome;
  }
  expect(outcome.refused.length).toBeGreaterThan(0);
  for (const problem of outcome.refused) {
    expect(problem, 'each problem names a field (or the YAML) and what was expected').toMatch(NAMES_A_FIELD);
    expect(problem).not.toMatch(/\[object Object\]|\bundefined\b|\n\s+at /);
  }
  return outcome;
}

describe('the scenario loader under fuzzing', () => {
  it('every shipped scenario and the tiny test scenario load and plan unchanged (the fuzzer starts from valid input)', () => {
    for (const { name, text } of SEEDS) expect(loadAndPlan(text), name).toHaveProperty('planned');
  });

  it('gives a plan or a clear error naming a field, never a crash or a hang, for thousands of mutated scenarios', () => {
    const documents = SEEDS.map(({ text }) => parse(text) as unknown);
    const outcomes = { planned: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.nat({ max: documents.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        textDamage,
        fc.nat(),
        (seedIndex, mutations, damage, cut) => {
          const root = structuredClone(documents[seedIndex]);
          for (const m of mutations) mutate(root, m);
          const text = toText(root, damage, cut);
          if ('planned' in checkCase(text)) outcomes.planned += 1;
          else outcomes.refused += 1;
        },
      ),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    // Both kinds of outcome occur: the mutations neither all break the scenario nor all leave it unchanged.
    expect(outcomes.planned).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 3_600_000);
});
