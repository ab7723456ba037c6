import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ScenarioProblem } from './check-references.js';
import type { Scenario } from './schema.js';

/**
 * Files a scenario names (renewal policy modules, PEM bundles) are relative to the scenario file. Rewrites them as
 * absolute paths, so every thread finds them, and reports the ones that do not exist.
 */
export function resolveScenarioPaths(scenario: Scenario, baseDir: string): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const resolveFile = (path: (string | number)[], file: string): string => {
    const absolute = isAbsolute(file) ? file : resolve(baseDir, file);
    if (!existsSync(absolute)) problems.push({ path, message: `no such file: ${absolute}` });
    return absolute;
  };
  scenario.fleet.cohorts.forEach((cohort, i) => {
    if (cohort.renewal.module !== undefined) {
      cohort.renewal.module = resolveFile(['fleet', 'cohorts', i, 'renewal', 'module'], cohort.renewal.module);
    }
    if (cohort.trustStore.bundle !== undefined) {
      cohort.trustStore.bundle = resolveFile(['fleet', 'cohorts', i, 'trustStore', 'bundle'], cohort.trustStore.bundle);
    }
  });
  scenario.pki.authorities.forEach((authority, i) => {
    if (authority.mirrors !== undefined) {
      authority.mirrors.bundle = resolveFile(['pki', 'authorities', i, 'mirrors', 'bundle'], authority.mirrors.bundle);
    }
  });
  return problems;
}
