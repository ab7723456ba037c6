import type { Scenario } from '../scenario/schema.js';
import { DEFAULT_CALL_BUDGET_MS } from './policy-module.js';
import { PolicyModuleError } from './policy-module-error.js';
import { probePolicyModule, type ProbeAnswer } from './policy-probe.js';

/** One cohort's module, checked: what it answered for its first device, or what is wrong with it. */
export type CohortModuleCheck = { cohortIndex: number; file: string; deviceId: string; certificate: { notBefore: number; notAfter: number } } & (
  | { ok: true; answer: ProbeAnswer }
  | { ok: false; problem: string }
);

/**
 * Loads every cohort's renewal module in a throwaway worker and asks it when the cohort's first device should renew
 * a certificate issued at the timeline's start (before `certfleet run` starts anything, and for `certfleet validate`).
 * Problems come back one line each ("fleet.cohorts[1].renewal.module: renewal policy module ...: ..."); Ctrl-C
 * (`signal`) rejects with PolicyProbeInterrupted.
 */
export async function checkCohortModules(
  scenario: Scenario,
  devices: readonly { id: string; cohort: number }[],
  seed: number,
  signal?: AbortSignal,
): Promise<CohortModuleCheck[]> {
  const checks: CohortModuleCheck[] = [];
  const spec = scenario.pki.deviceCertificates;
  const notBefore = scenario.timeline.start - spec.backdate;
  const certificate = { notBefore, notAfter: notBefore + spec.lifetime };
  for (const [cohortIndex, cohort] of scenario.fleet.cohorts.entries()) {
    const file = cohort.renewal.module;
    if (file === undefined) continue;
    const deviceId = devices.find((d) => d.cohort === cohortIndex)?.id ?? devices[0]?.id ?? 'device-00000';
    const source = { file, cohortIndex, cohort: cohort.name };
    const probe = {
      source,
      options: cohort.renewal.options ?? {},
      budgetMs: cohort.renewal.budget ?? DEFAULT_CALL_BUDGET_MS,
      retry: cohort.renewal.retry,
      deviceId,
      seed,
      certificate,
    };
    try {
      checks.push({ cohortIndex, file, deviceId, certificate, ok: true, answer: await probePolicyModule(probe, signal) });
    } catch (error) {
      if (!(error instanceof PolicyModuleError)) throw error;
      checks.push({ cohortIndex, file, deviceId, certificate, ok: false, problem: error.message });
    }
  }
  return checks;
}
