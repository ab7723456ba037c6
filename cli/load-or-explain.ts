import { loadScenario, ScenarioError, type LoadedScenario } from '../sim/scenario/load-scenario.js';

/** Loads a scenario, or prints every problem in it (file, path, expectation) and returns undefined. */
export function loadOrExplain(file: string): LoadedScenario | undefined {
  try {
    return loadScenario(file);
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`certfleet: invalid scenario ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}
