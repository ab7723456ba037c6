import { loadScenario, type LoadedScenario, type ScenarioOverrides } from '../sim/scenario/load-scenario.js';
import { exitForInputError } from './input-error-exit.js';

/** Loads a scenario, or prints every problem in it (file, path, expectation) and returns undefined. */
export function loadOrExplain(file: string, overrides: ScenarioOverrides = {}): LoadedScenario | undefined {
  try {
    return loadScenario(file, overrides);
  } catch (error) {
    exitForInputError(error);
    return undefined;
  }
}
