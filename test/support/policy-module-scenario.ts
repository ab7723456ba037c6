/** Scenarios whose first cohort renews with one of the policy modules under test/fixtures/policies/. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_SCENARIO } from './tiny-scenario.js';

/** The absolute path of a policy module fixture (its own imports are relative to it, so it is used where it is). */
export function policyFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url));
}

/** The tiny scenario with `renewal` (a YAML flow mapping, e.g. "{ module: /x.ts, budget: 200ms }") on cohort "steady". */
export function tinyScenarioRenewingWith(renewal: string): string {
  const line = '      trustStore: { anchors: [server-root] }\n';
  return TINY_SCENARIO.replace(line, `${line}      renewal: ${renewal}\n`);
}

/** Writes that scenario into a new temporary folder; returns the folder and the scenario file. */
export function writeModuleScenario(renewal: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-module-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, tinyScenarioRenewingWith(renewal));
  return { dir, file };
}
