/**
 * Bad input of every kind through the command line as a user gives it: exit code 2, the file (or flag), the field and
 * what was expected, and never a stack trace, a hang or a crash of V8.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-bad-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A scenario file in the work folder: the tiny scenario with text replacements. */
function scenarioFile(name: string, ...edits: [from: string, to: string][]): string {
  let text = TINY_SCENARIO;
  for (const [from, to] of edits) {
    expect(text.includes(from), `edit ${JSON.stringify(from)}`).toBe(true);
    text = text.replace(from, to);
  }
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

function fifo(name: string): string {
  const path = join(work, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/** Exit 2, each fragment on stderr, and no stack trace. */
function expectRefused(result: ReturnType<typeof runCli>, ...fragments: string[]): void {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/ReferenceError|TypeError|RangeError|FATAL ERROR/);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
}

const TINY = scenarioFile('tiny.yaml');

describe('numeric flags of run', () => {
  it('--devices 1e9 is refused up front with the bound and why, instead of running out of memory', () => {
    const result = runCli(['run', TINY, '--devices', '1e9', '--quiet']);
    expectRefused(result, '--devices: expected a whole number from 1 to 100,000', 'got 1000000000');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('every numeric flag is checked against its bound: one line per wrong flag, naming it, the bound and why', () => {
    const result = runCli([
      'run', TINY, '--quiet', '--seed', '9007199254740993', '--devices', 'many', '--workers', '0', '--device-processes', '1e6', '--concurrency', '2.5', '--metrics-port', '70000',
    ]);
    expectRefused(
      result,
      'certfleet: --seed: expected a whole number from 0 to 9,007,199,254,740,991 (the largest whole number a JSON number holds exactly, so the manifest reads back the same seed), got 9007199254740992, beyond the whole numbers a double holds exactly\n',
      "certfleet: --devices: expected a whole number from 1 to 100,000 (every device runs in this machine's memory with its own keys, certificates and TLS session), got something that is not a number\n",
      'certfleet: --workers: expected a whole number from 1 to 256 (each worker thread holds its own copy of the fleet plan), got 0\n',
      'certfleet: --device-processes: expected a whole number from 1 to 64',
      'certfleet: --concurrency: expected a whole number from 1 to 100,000',
      'certfleet: --metrics-port: expected a whole number from 0 to 65,535 (a TCP port; 0 picks a free one), got 70000\n',
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(6);
  });

  it('--seed 1e308, a flag given twice and an infinite port are refused, one line each', () => {
    const result = runCli(['run', TINY, '--quiet', '--seed', '1e308', '--workers', '2', '--workers', '3', '--metrics-port', 'Infinity']);
    expectRefused(result, '--seed: expected a whole number from 0 to 9,007,199,254,740,991', 'got 1e+308', '--workers: expected a whole number from 1 to 256 (each worker thread holds its own copy of the fleet plan), got 2 values (2, 3): give it once', '--metrics-port: expected a whole number from 0 to 65,535 (a TCP port; 0 picks a free one), got Infinity');
    expect(result.stderr.trim().split('\n')).toHaveLength(3);
  });

  it('a fleet whose timeline schedules more work than certfleet can finish is refused at --devices with the figure', () => {
    const busy = scenarioFile('busy.yaml', ['connectivity: { reconnectEvery: 10d }', 'connectivity: { reconnectEvery: 1s }']);
    const result = runCli(['run', busy, '--devices', '100000', '--quiet']);
    expectRefused(result, '--devices: expected at most 1,000,000,000 scheduled connects and renewals, got 254,');
  });
});

describe('scenario files', () => {
  it('a YAML alias bomb is refused as resource exhaustion, not a ReferenceError stack', () => {
    const levels = Array.from({ length: 8 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`);
    const file = join(work, 'bomb.yaml');
    writeFileSync(file, `l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${levels.join('\n')}\n`);
    expectRefused(runCli(['validate', file]), `invalid scenario ${file}: 1 problem`, 'YAML: aliases (*name) expand to more than 100 times what their anchors (&name) hold');
  });

  it('a named pipe given as the scenario is refused without waiting for a writer', () => {
    expectRefused(runCli(['run', fifo('scenario.fifo'), '--quiet'], { timeoutMs: 20_000 }), 'not a regular file (a named pipe)');
  });

  it('a timeline of more epochs than certfleet can finish is refused with the number of epochs, naming timeline.step', () => {
    const file = scenarioFile('epochs.yaml', ['  step: 6h', '  step: 1ms']);
    expectRefused(runCli(['validate', file]), 'timeline.step: expected a timeline of at most 10,000,000 epochs, got 5,097,600,059 epochs');
  });

});

describe('PEM bundles', () => {
  it('a trust bundle at /dev/zero is refused at once, naming the field, instead of being read without limit', () => {
    const file = scenarioFile('zero-bundle.yaml', ['trustStore: { anchors: [server-root] }', 'trustStore: { anchors: [server-root], bundle: /dev/zero }']);
    const result = runCli(['validate', file], { timeoutMs: 20_000 });
    expectRefused(result, 'fleet.cohorts[0].trustStore.bundle: expected a PEM bundle of certificates: /dev/zero: not a regular file (a character device)');
  });

  it('a trust bundle that is a named pipe is refused without waiting for a writer', () => {
    const pipe = fifo('bundle.fifo');
    const file = scenarioFile('fifo-bundle.yaml', ['trustStore: { anchors: [server-root] }', `trustStore: { anchors: [server-root], bundle: ${pipe} }`]);
    expectRefused(runCli(['validate', file], { timeoutMs: 20_000 }), 'not a regular file (a named pipe)');
  });
});

describe('run folders', () => {
  /** A run folder with the two files as given. */
  function runFolder(name: string, files: { summary?: string; manifest?: string }): string {
    const dir = join(work, name);
    mkdirSync(dir);
    if (files.summary !== undefined) writeFileSync(join(dir, 'summary.json'), files.summary);
    if (files.manifest !== undefined) writeFileSync(join(dir, 'manifest.json'), files.manifest);
    return dir;
  }

  it('report on a folder whose summary.json is cut short names the file and says it is not JSON', () => {
    const dir = runFolder('cut', { summary: '{"scenario": "tiny", "seed"', manifest: '{}' });
    expectRefused(runCli(['report', dir]), `${join(dir, 'summary.json')}: not valid JSON`);
  });

  it('repro on a folder without a manifest, or with a corrupt one, names manifest.json', () => {
    expectRefused(runCli(['repro', runFolder('no-manifest', { summary: '{}' }), '--device', 'device-00000']), 'manifest.json: no such file');
    expectRefused(
      runCli(['repro', runFolder('bad-manifest', { summary: '{}', manifest: '{"seed": 1e308}' }), '--device', 'device-00000']),
      'manifest.json: ',
      'seed',
    );
  });

  it('compare with a summary.json that is a named pipe is refused without waiting on it', () => {
    const dir = runFolder('piped', { manifest: '{}' });
    execFileSync('mkfifo', [join(dir, 'summary.json')]);
    expectRefused(runCli(['compare', dir, dir], { timeoutMs: 20_000 }), `${join(dir, 'summary.json')}: not a regular file (a named pipe)`);
  });
});

describe('the largest seed', () => {
  it('2^53-1 makes a run whose folder can be reported, compared and replayed, with the seed read back unchanged', () => {
    const out = join(work, 'max-seed');
    const run = runCli(['run', TINY, '--seed', String(Number.MAX_SAFE_INTEGER), '--quiet', '--workers', '1', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { seed: number };
    expect(manifest.seed).toBe(Number.MAX_SAFE_INTEGER);
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    const report = runCli(['report', out]);
    expect(report.status, report.stderr).toBe(0);
    const compare = runCli(['compare', out, out]);
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stdout).toContain('0 of ');
    const repro = runCli(['repro', out, '--device', 'device-00001']);
    expect(repro.status, repro.stderr).toBe(0);
    expect(repro.stderr).toContain(`from seed ${Number.MAX_SAFE_INTEGER}`);
    expect(repro.stdout).toContain('the replay matches the run');
  }, 120_000);
});
