import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const BENCH = join(ROOT, 'dist', 'bench', 'run-bench.js');

/** What the tests read of a suite's JSON (the rest is checked with toMatchObject). */
interface BenchJson {
  suite: string;
  command: string;
  machine: { cores: number; memoryGiB: number; node: string };
  settings: unknown;
  scale: { measured: boolean; stoppedBy?: string; settings: unknown; hold: unknown; openFiles: { deviceProcessMost: number } };
  targets: { connectedAtOnce: { measured: number }; memoryPerDevice: { measuredBytes?: number } };
  runs: { overhead?: object }[];
}

/** The bench as `npm run bench -- ...` runs it (after the build), its JSON files in a folder of the test's own. */
function runBench(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'certfleet-bench-'));
  const result = spawnSync(process.execPath, [BENCH, ...args, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  const files = readdirSync(out);
  const json = (suite: string) => JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith(`-${suite}.json`)) ?? 'missing'), 'utf8')) as BenchJson;
  return { result, files, json, out };
}

describe('npm run bench suites', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('the scale suite holds a tiny fleet and writes its figures beside their targets, with the machine and the settings', () => {
    const run = runBench(['--suite', 'scale', '--scale-devices', '12', '--device-hosts', '2', '--scale-hold', '1']);
    dirs.push(run.out);
    expect(run.result.status, run.result.stderr).toBe(0);
    const json = run.json('scale');
    expect(json.suite).toBe('scale');
    expect(json.command).toContain('--suite scale');
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.machine.memoryGiB).toBeGreaterThan(0);
    expect(json.machine.node).toBe(process.version);
    expect(json.scale.settings).toMatchObject({ devices: 12, brokerInstances: 1, deviceHosts: 2, holdSeconds: 1 });
    expect(json.scale.hold).toMatchObject({ connectedBefore: 12, connectedAfter: 12, reconnects: 0, failures: 0 });
    expect(json.targets.connectedAtOnce).toMatchObject({ measured: 12, target: 100_000, met: false });
    expect(typeof json.targets.memoryPerDevice.measuredBytes).toBe('number');
    expect(json.scale.openFiles.deviceProcessMost).toBeGreaterThanOrEqual(6);
  });

  it('the scale suite holds a tiny fleet across two broker instances joined through a Redis server of its own', () => {
    const run = runBench(['--suite', 'scale', '--scale-devices', '10', '--device-hosts', '1', '--broker-instances', '2', '--scale-hold', '1']);
    dirs.push(run.out);
    expect(run.result.status, run.result.stderr).toBe(0);
    const json = run.json('scale');
    expect(json.scale.settings).toMatchObject({ devices: 10, brokerInstances: 2, deviceHosts: 1 });
    expect(json.scale.hold).toMatchObject({ connectedAfter: 10, reconnects: 0, failures: 0 });
    expect(json.targets.connectedAtOnce.measured).toBe(10);
  });

  it('the scale suite puts the devices on agents joined through its Redis unless told device processes', () => {
    const run = runBench(['--suite', 'scale', '--scale-devices', '10', '--broker-instances', '2', '--scale-hold', '1']);
    dirs.push(run.out);
    expect(run.result.status, run.result.stderr).toBe(0);
    const json = run.json('scale');
    expect(json.scale.settings).toMatchObject({ devices: 10, brokerInstances: 2, deviceHosts: 1, deviceHostsAre: 'agents' });
    expect(json.scale.hold).toMatchObject({ connectedAfter: 10, brokerSessionsLeast: 10, reconnects: 0, failures: 0 });
  });

  it('the scale suite refuses a placement whose processes cannot hold the fleet, and says so in its JSON', () => {
    const run = runBench(['--suite', 'scale', '--scale-devices', '40000', '--device-hosts', '1', '--broker-instances', '1', '--scale-hold', '1']);
    dirs.push(run.out);
    expect(run.result.status, run.result.stderr).toBe(0);
    const json = run.json('scale');
    expect(json.scale.measured).toBe(false);
    expect(json.scale.stoppedBy).toContain('40000 devices over 1 device process');
    expect(json.targets.connectedAtOnce.measured).toBe(0);
  });

  it('the overhead suite runs the single-machine run, then the fleet on an agent, and reports connects, rotations, empty epochs and the overhead', () => {
    const run = runBench(['--suite', 'overhead', '--overhead-devices', '10', '--overhead-hosts', '1', '--overhead-instances', '1', '--empty-epochs', '3']);
    dirs.push(run.out);
    expect(run.result.status, run.result.stderr).toBe(0);
    const json = run.json('overhead');
    expect(json.settings).toMatchObject({ devices: 10, emptyEpochs: 3, deviceHostsAre: 'agents' });
    expect(json.runs).toHaveLength(2);
    const same = { measured: true, connects: { count: 10 }, rotations: { count: 10, failed: 0 }, emptyEpochs: { count: 3 }, epochs: 5 };
    expect(json.runs[0]).toMatchObject({ deviceHosts: 1, agents: false, brokerInstances: 1, ...same });
    expect(json.runs[0]?.overhead).toEqual({ cpuMsPerConnect: 0, cpuMsPerRotation: 0, wallMsPerEpoch: 0 });
    expect(json.runs[1]).toMatchObject({ deviceHosts: 1, agents: true, brokerInstances: 1, ...same });
    expect(Object.keys(json.runs[1]?.overhead ?? {})).toEqual(['cpuMsPerConnect', 'cpuMsPerRotation', 'wallMsPerEpoch']);
  });

  it('an unknown suite is refused with the list of suites, exit 2', () => {
    const run = runBench(['--suite', 'speed,nope']);
    dirs.push(run.out);
    expect(run.result.status).toBe(2);
    expect(run.result.stderr).toContain('unknown suite nope; expected a comma-separated list of speed, overhead, scale');
    expect(run.files).toEqual([]);
  });
});
