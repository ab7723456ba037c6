import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario, type RunOptions, type RunOutcome } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

/**
 * The tiny scenario with failures to report: the broker moves to a chain under a root that half of the "steady"
 * cohort never receives, so those devices fail with device:untrusted_root from 2030-01-20 to the end.
 */
export const FAILING_TINY_SCENARIO = `${TINY_SCENARIO}events:
  - { type: trust-rollout, at: 2030-01-05T00:00:00Z, add: [other-root], share: 50%, cohorts: [steady] }
  - { type: server-certificate, at: 2030-01-20T00:00:00Z, use: broker-other }
`;

/** Runs that scenario in this process, over real TLS, into a fresh folder. `speed` paces it (such as "30d/s"). */
export async function smallRun(options: Partial<RunOptions> & { speed?: string } = {}): Promise<RunOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-results-'));
  const file = join(dir, 'scenario.yaml');
  const text = options.speed ? FAILING_TINY_SCENARIO.replace('  step: 6h\n', `  step: 6h\n  speed: ${options.speed}\n`) : FAILING_TINY_SCENARIO;
  writeFileSync(file, text);
  return runScenario({ devices: 20, workers: 1, outDir: join(dir, 'run'), ...options, loaded: loadScenario(file) });
}
