import { checkCohortModules, type CohortModuleCheck } from '../sim/policy/check-cohort-modules.js';
import { planFleet } from '../sim/plan/fleet-plan.js';
import type { Scenario } from '../sim/scenario/schema.js';
import { formatDuration } from '../sim/time/duration.js';
import type { ScenarioOverrides } from '../sim/scenario/load-scenario.js';
import { EXIT } from './exit-codes.js';
import { loadOrExplain } from './load-or-explain.js';

/**
 * `certfleet validate`: the schema and references, and every renewal module loaded (in a throwaway worker, with its
 * time budget) and asked once when a device should renew, so a module that does not compile, loops or answers
 * nonsense is refused here and not halfway through a run.
 */
export async function validateCommand(file: string, overrides: ScenarioOverrides = {}): Promise<number> {
  const loaded = loadOrExplain(file, overrides);
  if (!loaded) return EXIT.invalidInput;
  const { scenario } = loaded;
  const checks = scenario.fleet.cohorts.some((c) => c.renewal.module !== undefined)
    ? await checkCohortModules(scenario, planFleet(scenario, { seed: scenario.seed }).devices, scenario.seed)
    : [];
  const problems = checks.flatMap((c) => (c.ok ? [] : [c.problem]));
  if (problems.length > 0) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    process.stderr.write(`certfleet: invalid scenario ${loaded.file}: ${count}\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return EXIT.invalidInput;
  }
  const iso = (t: number) => new Date(t).toISOString();
  const lines = [
    `${file}: valid scenario "${scenario.name}"`,
    `  timeline ${timelineText(scenario.timeline)}, step ${formatDuration(scenario.timeline.step)}`,
    `  broker target ${targetText(scenario.broker)}`,
    `  ${scenario.pki.authorities.length} authorities, ${scenario.pki.serverCertificates.length} server certificates, device certificates for ${formatDuration(scenario.pki.deviceCertificates.lifetime)}`,
    `  ${scenario.fleet.devices} devices in ${scenario.fleet.cohorts.length} cohorts: ${scenario.fleet.cohorts.map((c) => `${c.name} ${(c.share * 100).toFixed(1)}%`).join(', ')}`,
    `  ${scenario.events.length} events${scenario.events.length ? `: ${scenario.events.map((e) => `${e.type} at ${iso(e.at)}`).join('; ')}` : ''}`,
    ...(scenario.faults.length ? [`  ${scenario.faults.length} faults: ${scenario.faults.map((f) => `${f.kind} at ${iso('at' in f ? f.at : f.from)}`).join('; ')}`] : []),
    ...checks.map((c) => moduleLine(c, scenario.fleet.cohorts[c.cohortIndex]?.name ?? String(c.cohortIndex))),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const warning of loaded.warnings) process.stderr.write(`certfleet: warning: ${file}: ${warning}\n`);
  return EXIT.ok;
}

/** "cohort qa: renewal module /x/weekly.ts loads; for device-00001 a certificate valid ... renews at ..." */
function moduleLine(check: CohortModuleCheck, cohort: string): string {
  if (!check.ok) return `  cohort ${cohort}: ${check.problem}`;
  const iso = (t: number) => new Date(t).toISOString();
  return (
    `  cohort ${cohort}: renewal module ${check.file} loads; for ${check.deviceId} a certificate valid ${iso(check.certificate.notBefore)} ` +
    `to ${iso(check.certificate.notAfter)} renews at ${iso(check.answer.renewAt)} (device clock), retrying after ${formatDuration(check.answer.retryDelay)}`
  );
}

/** "2030-01-01T00:00:00Z to 2030-03-01T00:00:00Z", or for a real-time timeline "now (...) for 4m at 1s/s". */
function timelineText(timeline: Scenario['timeline']): string {
  const iso = (t: number) => new Date(t).toISOString();
  if (!timeline.startsNow) return `${iso(timeline.start)} to ${iso(timeline.end)}`;
  return `now (${iso(timeline.start)}) for ${formatDuration(timeline.end - timeline.start)}, on real time`;
}

/** "embedded", or "external: mqtt.example.com:8883" */
function targetText(broker: Scenario['broker']): string {
  if (broker.target !== 'external' || broker.external === undefined) return broker.target;
  return `external: ${broker.external.host}:${broker.external.port}, server certificate checked against ${broker.external.caFile}`;
}
