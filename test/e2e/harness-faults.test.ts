import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { RESERVED_BYTES } from '../../sim/results/space-reserve.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { childProcessIds } from '../support/child-processes.js';
import { startCli, type CliResult } from '../support/cli.js';
import { readEventLines } from '../support/event-lines.js';
import { DAY } from '../support/time.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';
import { mountTmpfs, unmount } from '../support/tmpfs.js';
import { policyFixture, writeModuleScenario } from '../support/policy-module-scenario.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-harness-faults-'));
const SCENARIO = join(work, 'tiny.yaml');
/** The tiny scenario paced at 4 simulated days per wall second: about 15 s, time enough to kill a process mid-run. */
const PACED = join(work, 'paced.yaml');
const START = Date.parse('2030-01-01T00:00:00Z');

beforeAll(() => {
  writeFileSync(SCENARIO, TINY_SCENARIO);
  writeFileSync(PACED, TINY_SCENARIO.replace('  sample: 1d\n', '  sample: 1d\n  speed: 4d/s\n'));
});

/** stderr holds exactly one line, the expected error, and nothing like a stack trace. */
function expectOneLine(stderr: string, line: RegExp): void {
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
  expect(stderr.trimEnd()).toMatch(line);
  expect(stderr).not.toMatch(/\n\s+at /);
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('an --out that cannot take a run is refused before anything runs, with exit 2 and one line', () => {
  const readOnly = join(work, 'read-only');
  const file = join(work, 'a-file');
  const earlier = join(work, 'earlier-run');
  const outs = { file, underFile: join(file, 'run'), uncreatable: join(readOnly, 'run'), unwritable: readOnly, earlier };
  let results: Record<keyof typeof outs, CliResult>;
  beforeAll(async () => {
    mountTmpfs(readOnly, { size: '64k', readOnly: true });
    writeFileSync(file, 'not a folder\n');
    mkdirSync(earlier);
    writeFileSync(join(earlier, 'summary.json'), '{}\n');
    // Side by side: each is a short command that stops at the check.
    const entries = await Promise.all(
      Object.entries(outs).map(async ([key, out]) => [key, await startCli(['run', SCENARIO, '--out', out, '--quiet'])] as const),
    );
    results = Object.fromEntries(entries) as typeof results;
  }, 120_000);
  afterAll(() => unmount(readOnly));

  it('refuses an existing file, and leaves it as it was', () => {
    expect(results.file.status).toBe(2);
    expectOneLine(results.file.stderr, new RegExp(`^certfleet: --out ${escaped(file)}: is an existing file; expected a new or empty folder for the run$`));
    expect(readFileSync(file, 'utf8')).toBe('not a folder\n');
  });

  it('refuses a folder under a file, naming the file', () => {
    expect(results.underFile.status).toBe(2);
    expectOneLine(results.underFile.stderr, new RegExp(`^certfleet: --out ${escaped(outs.underFile)}: ${escaped(file)} is a file, so no folder can be made under it$`));
  });

  it('refuses a folder that cannot be created on a read-only file system', () => {
    expect(results.uncreatable.status).toBe(2);
    expectOneLine(results.uncreatable.stderr, new RegExp(`^certfleet: --out ${escaped(outs.uncreatable)}: the folder cannot be created \\(read-only file system\\)$`));
  });

  it('refuses an existing empty folder in which nothing can be written', () => {
    expect(results.unwritable.status).toBe(2);
    expectOneLine(results.unwritable.stderr, new RegExp(`^certfleet: --out ${escaped(readOnly)}: the folder is not writable \\(read-only file system\\)$`));
  });

  it('refuses a folder that already holds files, so two runs never mix, and leaves those files alone', () => {
    expect(results.earlier.status).toBe(2);
    expectOneLine(results.earlier.stderr, new RegExp(`^certfleet: --out ${escaped(earlier)}: the folder is not empty \\(summary.json\\); each run needs a new or empty folder`));
    expect(readdirSync(earlier)).toEqual(['summary.json']);
    expect(readFileSync(join(earlier, 'summary.json'), 'utf8')).toBe('{}\n');
  });
});

describe('a run folder that fills up mid-run', () => {
  const disk = join(work, 'small-disk');
  const tiny = join(work, 'tiny-disk');
  // Room for the space the run reserves for its summary, and 64 kB more: 50 devices write about 110 kB of events.
  beforeAll(() => {
    mountTmpfs(disk, { size: `${RESERVED_BYTES / 1024 + 64}k` });
    mountTmpfs(tiny, { size: '32k' });
  });
  afterAll(() => {
    unmount(disk);
    unmount(tiny);
  });

  /** The run's stderr names the file and the cause; every event line left parses, the torn last one was cut off. */
  function expectStoppedByFullDisk(result: CliResult, out: string): void {
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain(`certfleet: no space left on device writing ${join(out, 'events.ndjson')}\n`);
    expect(result.stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(readEventLines(join(out, 'events.ndjson')).length).toBeGreaterThan(10);
    expect(readFileSync(join(out, 'events.ndjson'), 'utf8').endsWith('\n')).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ devices: 50 });
    // Neither the reserve nor a temporary file of a write that failed is left behind.
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  }

  it('ends the run with exit 1 and a line naming the file and the cause, and still writes a whole partial summary', async () => {
    const out = join(disk, 'run');
    const result = await startCli(['run', SCENARIO, '--devices', '50', '--workers', '1', '--out', out, '--quiet', '--no-report']);
    expectStoppedByFullDisk(result, out);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.complete).toBe(false);
    expect(summary.interruption).toBe(`no space left on device writing ${join(out, 'events.ndjson')}`);
    expect(Date.parse(summary.timeline.reached)).toBeGreaterThan(START);
    expect(summary.availability.samples.length).toBeGreaterThan(0);
  }, 120_000);

  it('leaves summary.json absent rather than half-written when even the summary does not fit', async () => {
    const out = join(tiny, 'run');
    const result = await startCli(['run', SCENARIO, '--devices', '50', '--workers', '1', '--out', out, '--quiet']);
    expectStoppedByFullDisk(result, out);
    // 32 kB hold the manifest and part of the events, never a 60 kB summary: it was tried, and left no trace.
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    expect(existsSync(join(out, 'report.html'))).toBe(false);
  }, 120_000);
});

/**
 * Runs the paced tiny fleet in two device processes and SIGKILLs the second a few simulated days in (4 d/s), as a
 * crash would: SIGKILL gives the process no chance to say goodbye. Resolves with the CLI's result and the pid killed.
 */
async function runAndKillADeviceProcess(out: string, extraArgs: string[]): Promise<{ result: CliResult; killed: number | undefined }> {
  let killed: number | undefined;
  let killing = false;
  const result = await startCli(
    ['run', PACED, '--devices', '8', '--device-processes', '2', '--workers', '2', '--out', out, '--no-report', ...extraArgs],
    (stderr, child) => {
      if (killing || !stderr.includes('certfleet: running\n') || child.pid === undefined) return;
      killing = true;
      const cli = child.pid;
      setTimeout(() => {
        killed = childProcessIds(cli, 'device-process.js').at(-1);
        if (killed !== undefined) process.kill(killed, 'SIGKILL');
      }, 2_500);
    },
  );
  return { result, killed };
}

describe('a device process killed mid-run', () => {
  it('ends the run with exit 1, names the process and its devices, and keeps what the run really reached', async () => {
    const out = join(work, 'crashed');
    const { result, killed } = await runAndKillADeviceProcess(out, []);
    expect(killed).toBeDefined();
    expect(result.status, result.stderr).toBe(1);
    const failure = new RegExp(`device process \\d \\(pid ${killed}, 4 of 8 devices\\) exited unexpectedly: killed by SIGKILL`);
    expect(result.stderr).toMatch(failure);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.complete).toBe(false);
    expect(summary.interruption).toMatch(failure);
    const reached = Date.parse(summary.timeline.reached);
    expect(reached).toBeGreaterThan(START + DAY);
    expect(reached).toBeLessThan(Date.parse(summary.timeline.end));
    // One availability sample per simulated day up to the time reached, each with the whole fleet connected then.
    const samples = summary.availability.samples;
    expect(samples).toHaveLength(Math.floor((reached - START) / DAY));
    expect(samples.map((s) => Date.parse(s.t))).toEqual(samples.map((_, i) => START + (i + 1) * DAY));
    expect(samples[0]?.connected).toBe(1);
    expect(summary.wall.epochs).toBeGreaterThan(0);

    const rows = readFileSync(join(out, 'timeline.csv'), 'utf8').trim().split('\r\n').slice(1);
    expect(rows.map((row) => row.split(',')[0])).toEqual(samples.map((s) => s.t));
    expect(readEventLines(join(out, 'events.ndjson')).some((e) => e.type === 'device.connect')).toBe(true);
  }, 120_000);
});

describe('a device process killed mid-run with --on-device-crash restart', () => {
  it('replaces the process, brings its devices back as rebooted devices, counts them and completes the run', async () => {
    const out = join(work, 'restarted');
    const { result, killed } = await runAndKillADeviceProcess(out, ['--on-device-crash', 'restart', '--threshold', 'harness.devicesRestarted == 4']);
    expect(killed).toBeDefined();
    expect(result.status, result.stderr).toBe(0);
    const reason = `device process 1 (pid ${killed}, 4 of 8 devices) exited unexpectedly: killed by SIGKILL`;
    expect(result.stderr).toContain(`certfleet: ${reason}; restarted its 4 devices as rebooted devices at `);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as JudgedRunSummary;
    expect(summary.complete).toBe(true);
    expect(summary.timeline.reached).toBe(summary.timeline.end);
    expect(summary.harness.devicesRestarted).toBe(4);
    // A QA pipeline can gate on it: the threshold read the same count (exit 0 says it passed).
    expect(summary.thresholds.map((t) => [t.name, t.passed, t.actual])).toEqual([['harness.devicesRestarted == 4', true, 4]]);
    expect(summary.harness.restarts).toHaveLength(1);
    const restart = summary.harness.restarts?.[0];
    expect(restart?.reason).toBe(reason);
    expect(Date.parse(restart?.t ?? '')).toBeGreaterThan(START);
    // Process 1 of 2 (one worker each) held the odd-numbered devices: each connected as it powered on again, and the
    // whole fleet is connected at the end.
    const atReboot = readEventLines(join(out, 'events.ndjson')).filter((e) => e.type === 'device.connect' && e.t === Date.parse(restart?.t ?? ''));
    const rebooted = new Set(atReboot.map((e) => e.device).filter((device) => Number(device?.replace(/\D/g, '')) % 2 === 1));
    expect([...rebooted].sort()).toEqual(['device-00001', 'device-00003', 'device-00005', 'device-00007']);
    expect(summary.availability.final?.connected).toBe(1);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('4 devices restarted as rebooted devices');
  }, 120_000);
});

describe('a device worker thread that dies mid-run', () => {
  it('ends the run with exit 1, names the worker and its devices, and leaves a readable partial result', async () => {
    // A renewal module that ends its thread for one device on its second call (after the device's first rotation).
    const device = planFleet(tinyScenario(), { seed: 7, devices: 6 }).devices.filter((d) => d.cohort === 0)[1]?.id;
    const renewal = `{ module: ${policyFixture('misbehaves-for-one-device.mjs')}, options: { device: ${device}, how: exit, onCall: 2 } }`;
    const { dir, file } = writeModuleScenario(renewal);
    const out = join(dir, 'run');
    const result = await startCli(['run', file, '--devices', '6', '--workers', '2', '--out', out, '--no-report']);
    expect(result.status, result.stderr).toBe(1);
    const failure = /device worker \d \(\d of 6 devices\) died/;
    expect(result.stderr).toMatch(failure);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.complete).toBe(false);
    expect(summary.interruption).toMatch(failure);
    expect(Date.parse(summary.timeline.reached)).toBeGreaterThan(START);
    // Every line written parses, and the devices had lived a while before the worker died.
    expect(readEventLines(join(out, 'events.ndjson')).some((e) => e.type === 'device.connect')).toBe(true);
  }, 120_000);
});

