import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { startCli } from '../support/cli.js';
import { policyFixture, writeModuleScenario } from '../support/policy-module-scenario.js';
import { tinyScenario } from '../support/tiny-scenario.js';

// dist/cli/main.js is what runs: `npm run build` first. Faulty modules get a short budget so each case is quick, and
// the cases run side by side (each spends most of its time starting Node and waiting for a budget to run out).
const BUDGET = '300ms';
const STACK_LINE = /^\s+at /m;

const FAULTY: [string, string, RegExp][] = [
  ['loops at import', 'loops-at-import.mjs', /did not finish importing within 3000 ms \(ten times renewal\.budget\)$/],
  ['loops in its factory', 'loops-in-factory.mjs', /the factory \(its default export\) did not return within 300 ms \(renewal\.budget\)$/],
  ['loops in renewAt', 'loops-in-renew-at.mjs', /renewAt for device-\d+ \(cohort steady\) did not return within 300 ms \(renewal\.budget\)$/],
  ['throws', 'throws.mjs', /renewAt for device-\d+ \(cohort steady\) threw TypeError: no renewal date known for a certificate ending \d+$/],
  ['returns nonsense', 'returns-nonsense.ts', /renewAt for device-\d+ \(cohort steady\) returned the string "soon" .*; expected a device-clock time in ms/],
  ['has a syntax error', 'syntax-error.ts', /: Unexpected "}" \(line 7, column 3\)$/],
];

/**
 * The line of stderr that refuses the module: the field, the module's path and what went wrong, all on that one line
 * (under "invalid scenario <file>: 1 problem" before a run, or after "invalid scenario <file>: " when it stopped one).
 */
function moduleLine(stderr: string, module: string): string {
  const about = `fleet.cohorts[0].renewal.module: renewal policy module ${policyFixture(module)}: `;
  const line = stderr.split('\n').find((l) => (l.startsWith('  ') || l.startsWith('certfleet: invalid scenario ')) && l.includes(about));
  if (line === undefined) throw new Error(`no line about ${module} in:\n${stderr}`);
  return line;
}

/** A device of cohort "steady" other than its first (the one the check before the run asks). */
function laterSteadyDevice(devices: number): string {
  const steady = planFleet(tinyScenario(), { seed: 7, devices }).devices.filter((d) => d.cohort === 0);
  const device = steady[1];
  if (!device) throw new Error('the tiny scenario planned fewer than two steady devices');
  return device.id;
}

describe('certfleet validate with a renewal module that misbehaves', () => {
  it.concurrent.each(FAULTY)('refuses a module that %s with exit 2 and one line naming it, without a stack trace', async (_, module, detail) => {
    const { file } = writeModuleScenario(`{ module: ${policyFixture(module)}, budget: ${BUDGET} }`);
    const result = await startCli(['validate', file]);
    expect(result.status).toBe(2);
    expect(moduleLine(result.stderr, module)).toMatch(detail);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stdout).toBe('');
  }, 120_000);

  it.concurrent('accepts a module that behaves and says when it renews a first certificate', async () => {
    const { file } = writeModuleScenario(`{ module: ${policyFixture('weekly-window.ts')}, options: { daysBeforeExpiry: 10 } }`);
    const result = await startCli(['validate', file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /cohort steady: renewal module .*weekly-window\.ts loads; for device-\d+ a certificate valid 2029-12-31T23:00:00\.000Z to 2030-01-30T23:00:00\.000Z renews at 2030-01-2[01]T\S+ \(device clock\), retrying after 1m/,
    );
  }, 120_000);
});

describe('certfleet run with a renewal module that misbehaves', () => {
  it.concurrent.each(FAULTY)('refuses a module that %s before starting anything: exit 2, one line naming it', async (_, module, detail) => {
    const { dir, file } = writeModuleScenario(`{ module: ${policyFixture(module)}, budget: ${BUDGET} }`);
    const result = await startCli(['run', file, '--out', join(dir, 'run'), '--workers', '1']);
    expect(result.status).toBe(2);
    expect(moduleLine(result.stderr, module)).toMatch(detail);
    expect(result.stderr).not.toMatch(STACK_LINE);
  }, 120_000);

  it.concurrent.each([
    ['loops in renewAt after its first rotation', 'loop', 2, /did not return within 300 ms \(renewal\.budget\)$/],
    ['answers nonsense at boot', 'nonsense', 1, /returned the string "whenever" .*; expected a device-clock time in ms/],
  ])('stops when one device\'s module %s: exit 2 naming the module and the device, and a partial run that reports', async (_, how, onCall, detail) => {
    const device = laterSteadyDevice(6);
    const module = 'misbehaves-for-one-device.mjs';
    const { dir, file } = writeModuleScenario(`{ module: ${policyFixture(module)}, options: { device: ${device}, how: ${how}, onCall: ${onCall} }, budget: ${BUDGET} }`);
    const out = join(dir, 'run');
    const result = await startCli(['run', file, '--devices', '6', '--out', out, '--workers', '1', '--no-report']);
    expect(result.status).toBe(2);
    const line = moduleLine(result.stderr, module);
    expect(line).toContain(`certfleet: invalid scenario ${file}: `);
    expect(line).toContain(`renewAt for ${device} (cohort steady) `);
    expect(line).toMatch(detail);
    expect(result.stderr).not.toMatch(STACK_LINE);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { complete: boolean; interruption?: string };
    expect(summary.complete).toBe(false);
    expect(summary.interruption).toContain(`renewAt for ${device}`);
    // Whole lines only (none at all when the run stopped at boot), each one JSON.
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
    expect(events === '' || events.endsWith('\n')).toBe(true);
    expect(events.split('\n').filter((l) => l !== '').every((l) => typeof (JSON.parse(l) as { type?: unknown }).type === 'string')).toBe(true);
    const report = await startCli(['report', out]);
    expect(report.status).toBe(0);
  }, 240_000);

  it.concurrent('stops at once on Ctrl-C while checking a module that would take minutes to import: exit 130, nothing run', async () => {
    const { dir, file } = writeModuleScenario(`{ module: ${policyFixture('loops-at-import.mjs')}, budget: 1m }`);
    let interrupted = false;
    const result = await startCli(['run', file, '--out', join(dir, 'run')], (stderr, child) => {
      if (!interrupted && stderr.includes('certfleet: checking the renewal policy modules')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(result.status).toBe(130);
    expect(result.stderr).toContain('certfleet: interrupted while checking the renewal policy modules; nothing was run');
    expect(result.stderr).not.toMatch(STACK_LINE);
  }, 120_000);
});
