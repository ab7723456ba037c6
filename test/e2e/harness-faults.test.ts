import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { childProcessIds } from '../support/child-processes.js';
import { runCli, startCli } from '../support/cli.js';
import { readEventLines } from '../support/event-lines.js';
import { DAY } from '../support/time.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { mountTmpfs, unmount } from '../support/tmpfs.js';

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
  beforeAll(() => mountTmpfs(readOnly, { size: '64k', readOnly: true }));
  afterAll(() => unmount(readOnly));

  it('refuses an existing file', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const result = runCli(['run', SCENARIO, '--out', file, '--quiet']);
    expect(result.status).toBe(2);
    expectOneLine(result.stderr, new RegExp(`^certfleet: --out ${escaped(file)}: is an existing file; expected a new or empty folder`));
    expect(readFileSync(file, 'utf8')).toBe('not a folder\n');
  });

  it('refuses a folder under a file, naming the file', () => {
    const file = join(work, 'another-file');
    writeFileSync(file, '');
    const result = runCli(['run', SCENARIO, '--out', join(file, 'run'), '--quiet']);
    expect(result.status).toBe(2);
    expectOneLine(result.stderr, new RegExp(`^certfleet: --out ${escaped(join(file, 'run'))}: ${escaped(file)} is a file, so no folder can be made under it$`));
  });

  it('refuses a folder that cannot be created on a read-only file system', () => {
    const result = runCli(['run', SCENARIO, '--out', join(readOnly, 'run'), '--quiet']);
    expect(result.status).toBe(2);
    expectOneLine(result.stderr, new RegExp(`^certfleet: --out ${escaped(join(readOnly, 'run'))}: the folder cannot be created \\(read-only file system\\)$`));
  });

  it('refuses an existing empty folder in which nothing can be written', () => {
    const result = runCli(['run', SCENARIO, '--out', readOnly, '--quiet']);
    expect(result.status).toBe(2);
    expectOneLine(result.stderr, new RegExp(`^certfleet: --out ${escaped(readOnly)}: the folder is not writable \\(read-only file system\\)$`));
  });

  it('refuses a folder that already holds files, so two runs never mix, and leaves those files alone', () => {
    const earlier = join(work, 'earlier-run');
    mkdirSync(earlier);
    writeFileSync(join(earlier, 'summary.json'), '{}\n');
    const result = runCli(['run', SCENARIO, '--out', earlier, '--quiet']);
    expect(result.status).toBe(2);
    expectOneLine(result.stderr, new RegExp(`^certfleet: --out ${escaped(earlier)}: the folder is not empty \\(summary.json\\); each run needs a new or empty folder`));
    expect(readFileSync(join(earlier, 'summary.json'), 'utf8')).toBe('{}\n');
  });
});

describe('a run folder that fills up mid-run', () => {
  const disk = join(work, 'small-disk');
  beforeAll(() => mountTmpfs(disk, { size: '64k' }));
  afterAll(() => unmount(disk));

  it('ends the run with exit 1 and a line naming the file and the cause, and leaves only valid files', async () => {
    const out = join(disk, 'run');
    // 50 devices write about 110 kB of events over the timeline: the disk fills up part way.
    const result = await startCli(['run', SCENARIO, '--devices', '50', '--workers', '1', '--out', out, '--quiet']);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain(`certfleet: no space left on device writing ${join(out, 'events.ndjson')}\n`);
    expect(result.stderr).not.toMatch(/Unhandled|\n\s+at /);
    // Every line left parses, the last one included: the torn line the full disk left was cut off.
    const events = readEventLines(join(out, 'events.ndjson'));
    expect(events.length).toBeGreaterThan(10);
    expect(readFileSync(join(out, 'events.ndjson'), 'utf8').endsWith('\n')).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ devices: 50 });
    if (existsSync(join(out, 'summary.json'))) {
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
      expect(summary.complete).toBe(false);
    }
  }, 120_000);
});

describe('a device process killed mid-run', () => {
  it('ends the run with exit 1, names the process and its devices, and keeps what the run really reached', async () => {
    const out = join(work, 'crashed');
    let killed: number | undefined;
    let killing = false;
    const result = await startCli(
      ['run', PACED, '--devices', '8', '--device-processes', '2', '--workers', '2', '--out', out, '--no-report'],
      (stderr, child) => {
        if (killing || !stderr.includes('certfleet: running\n') || child.pid === undefined) return;
        killing = true;
        const cli = child.pid;
        // A few simulated days in (4 d/s), as a crash would: SIGKILL gives the process no chance to say goodbye.
        setTimeout(() => {
          killed = childProcessIds(cli, 'device-process.js').at(-1);
          if (killed !== undefined) process.kill(killed, 'SIGKILL');
        }, 2_500);
      },
    );
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
