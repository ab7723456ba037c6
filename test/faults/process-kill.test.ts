import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SpawnSyncReturns } from 'node:child_process';
import type { PublishedRunSummary } from '../../sim/results/summary-schema.js';
import { runCli } from '../support/cli.js';
import { readEventLines } from '../support/event-lines.js';
import { faultScenarioText, type FaultEventLine } from '../support/fault-scenario.js';

/**
 * A process-kill fault: the coordinator SIGKILLs the device process holding device-3 at the fault's simulated time.
 * 8 devices over 2 processes of one worker each: device i is on shard i mod 2, shard s in process s mod 2, so
 * device-3 shares process 1 with devices 1, 5 and 7. The death takes the path of any device process that dies.
 */
const KILL_AT = Date.parse('2030-01-03T00:00:00Z');

describe('a device process killed at a simulated time', () => {
  let result: SpawnSyncReturns<string>;
  let summary: PublishedRunSummary;
  let events: FaultEventLine[];
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-kill-'));
    const file = join(dir, 'kill.yaml');
    writeFileSync(file, faultScenarioText('  - { kind: process-kill, at: 2030-01-03T00:00:00Z, device: device-3 }'));
    result = runCli(['run', file, '--out', join(dir, 'run'), '--workers', '2', '--device-processes', '2'], { timeoutMs: 120_000 });
    summary = JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')) as PublishedRunSummary;
    events = readEventLines<FaultEventLine>(join(dir, 'run', 'events.ndjson'));
  }, 150_000);

  it('ends the run through the crash handling of a dead device process: exit 1, a line naming it, a partial summary', () => {
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/device process 1 \(pid \d+, 4 of 8 devices\) exited unexpectedly: killed by SIGKILL/);
    expect(summary.complete).toBe(false);
    expect(summary.interruption).toMatch(/^device process 1 \(pid \d+, 4 of 8 devices\) exited unexpectedly: killed by SIGKILL$/);
  });

  it('records the kill and the devices it took down in events.ndjson and summary.json', () => {
    const start = events.filter((e) => e.type === 'fault.start');
    expect(start.map((e) => [e.t, e.kind, e.fault])).toEqual([[KILL_AT, 'process-kill', 0]]);
    const killed = events.filter((e) => e.type === 'fault.effect' && e.effect === 'process-killed');
    expect(killed.map((e) => [e.t, e.device])).toEqual([
      [KILL_AT, 'device-00001'],
      [KILL_AT, 'device-00003'],
      [KILL_AT, 'device-00005'],
      [KILL_AT, 'device-00007'],
    ]);
    // Nothing the killed devices did is recorded from the kill on.
    const dead = new Set(killed.map((e) => e.device));
    expect(events.filter((e) => e.type.startsWith('device.') && dead.has(e.device) && e.t >= KILL_AT)).toEqual([]);
    expect(summary.faults).toEqual([
      expect.objectContaining({
        kind: 'process-kill',
        from: '2030-01-03T00:00:00.000Z',
        devicesAffected: 4,
        recovery: expect.objectContaining({ seconds: null, recoveredDevices: 0, unrecoveredDevices: 4 }),
      }),
    ]);
    expect(summary.markers).toContainEqual({ t: '2030-01-03T00:00:00.000Z', kind: 'fault', label: 'fault: device process of device-3 killed' });
  });
});

/**
 * The same kill a day earlier, while the factory certificates the rebooted devices come back with are still valid
 * (a replaced process restarts its devices from their factory credentials: what they rotated to died with it).
 */
const RESTART_KILL_AT = Date.parse('2030-01-02T00:00:00Z');

describe('a device process killed at a simulated time, with --on-device-crash restart', () => {
  let result: SpawnSyncReturns<string>;
  let summary: PublishedRunSummary;
  let events: FaultEventLine[];
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-kill-restart-'));
    const file = join(dir, 'kill.yaml');
    writeFileSync(file, faultScenarioText('  - { kind: process-kill, at: 2030-01-02T00:00:00Z, device: device-3 }'));
    const args = ['run', file, '--out', join(dir, 'run'), '--workers', '2', '--device-processes', '2', '--on-device-crash', 'restart'];
    result = runCli(args, { timeoutMs: 120_000 });
    summary = JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')) as PublishedRunSummary;
    events = readEventLines<FaultEventLine>(join(dir, 'run', 'events.ndjson'));
  }, 150_000);

  it('completes the run with the killed devices rebooted, and measures their recovery from the kill', () => {
    expect(result.status, result.stderr).toBe(0);
    expect(summary.complete).toBe(true);
    expect(summary.harness.devicesRestarted).toBe(4);
    const [fault] = summary.faults ?? [];
    expect(fault).toMatchObject({ kind: 'process-kill', devicesAffected: 4, recovery: { recoveredDevices: 4, unrecoveredDevices: 0 } });
    // Recovered when the last killed device connected again, which the events show.
    const killed = new Set(events.filter((e) => e.type === 'fault.effect' && e.effect === 'process-killed').map((e) => e.device));
    const back = [...killed].map((device) => events.find((e) => e.type === 'device.connect' && e.device === device && e.t >= RESTART_KILL_AT && e.cause === 'ok')?.t);
    expect(back.every((t) => t !== undefined)).toBe(true);
    expect(fault?.recovery.seconds).toBe((Math.max(...(back as number[])) - RESTART_KILL_AT) / 1000);
  });
});
