import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devicesPerProcess, openFilesProblems, OTHER_OPEN_FILES } from '../../sim/run/open-files-budget.js';
import { CLI, ROOT } from '../support/cli.js';

describe('openFilesProblems', () => {
  it('lets 100,000 devices over 6 device processes and 6 broker processes run under 20,000 open files each', () => {
    expect(openFilesProblems({ devices: 100_000, deviceProcesses: 6, brokerProcesses: 6, limit: 20_000 })).toEqual([]);
  });

  it('names the device processes and the broker processes that would need more files than a process may hold, and how many would do', () => {
    const problems = openFilesProblems({ devices: 100_000, deviceProcesses: 5, brokerProcesses: 1, limit: 20_000 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('100000 devices over 5 device processes is 20000 per process, more than the 19500');
    expect(problems[0]).toContain('--workers 6 --device-processes 6 or more');
    expect(problems[1]).toContain('100000 devices over 1 broker process is 100000 per process');
    expect(problems[1]).toContain('--broker-instances 6 or more');
  });

  it('checks nothing where the limit is unknown, and nothing for a side with no process of its own here', () => {
    expect(devicesPerProcess(undefined)).toBe(Infinity);
    expect(openFilesProblems({ devices: 1_000_000, deviceProcesses: 1, brokerProcesses: 1, limit: undefined })).toEqual([]);
    expect(openFilesProblems({ devices: 30_000, deviceProcesses: 2, brokerProcesses: 0, limit: 20_000 })).toEqual([]);
  });
});

describe('certfleet run under a low open-files limit', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** The CLI with its soft open-files limit lowered first, as `ulimit -n` does for a shell's children. */
  const runLimited = (limit: number, args: string[]) =>
    spawnSync('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('refuses a fleet its processes cannot hold, one line per side, exit 2, before writing the run folder', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'certfleet-open-files-')), 'run');
    dirs.push(join(out, '..'));
    const limit = OTHER_OPEN_FILES + 1_000;
    const result = runLimited(limit, ['run', 'scenarios/root-expiry-2030.yaml', '--devices', '1500', '--workers', '2', '--device-processes', '1', '--out', out, '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('1500 devices over 1 device process is 1500 per process, more than the 1000 one process can hold');
    expect(result.stderr).toContain('--workers 2 --device-processes 2 or more');
    expect(result.stderr).toContain('1500 devices over 1 broker process');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
});
