import { checkCohortModules } from '../policy/check-cohort-modules.js';
import type { FleetPlan } from '../plan/fleet-plan.js';
import { ScenarioError, type LoadedScenario } from '../scenario/load-scenario.js';

/**
 * The teams' own policy modules load and answer before anything starts, each in a throwaway worker with a time budget
 * (no module code runs in this thread); a broken one is bad input, not a crash or a hang.
 */
export async function checkPolicyModules(loaded: LoadedScenario, plan: FleetPlan, seed: number, options: { signal?: AbortSignal | undefined; onStage?: ((stage: string) => void) | undefined }): Promise<void> {
  if (loaded.scenario.fleet.cohorts.every((c) => c.renewal.module === undefined)) return;
  options.onStage?.('checking the renewal policy modules');
  const problems = (await checkCohortModules(loaded.scenario, plan.devices, seed, options.signal)).flatMap((c) => (c.ok ? [] : [c.problem]));
  if (problems.length > 0) throw new ScenarioError(loaded.file, problems);
}
