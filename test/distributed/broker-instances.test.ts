import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceReport } from '../../broker/instances/instance-report.js';
import { childProcessIds } from '../support/child-processes.js';
import { runCli, startCli } from '../support/cli.js';
import { readEventLines, type EventLine } from '../support/event-lines.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { summaryCounts } from '../support/summary-counts.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

type RotationLine = EventLine & { device: string; outcome: string; cause: string; attempt: number };

/** The rotations of a run, in a comparable order: who, when (simulated), how it ended, which attempt. */
function rotations(dir: string): string[] {
  return readEventLines<RotationLine>(join(dir, 'events.ndjson'))
    .filter((line) => line.type === 'device.rotation')
    .map((line) => `${line.device} ${line.t} ${line.outcome} ${line.cause} ${line.attempt}`)
    .sort();
}

function instanceReports(dir: string): InstanceReport[] {
  return JSON.parse(readFileSync(join(dir, 'broker-instances.json'), 'utf8')) as InstanceReport[];
}

describe('broker instances joined through Redis', () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    dir = mkdtempSync(join(tmpdir(), 'certfleet-instances-'));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.each([
    ['root-expiry-2030', 8],
    ['daa-24h', 6],
  ])('%s over two broker instances gives the same per-cause counts, rotations and availability as one broker', async (name, devices) => {
    const args = (out: string) => ['run', `scenarios/${name}.yaml`, '--devices', String(devices), '--out', out, '--quiet', '--no-report'];
    const one = join(dir, `${name}-one`);
    const two = join(dir, `${name}-two`);
    const [single, spread] = await Promise.all([startCli(args(one)), startCli([...args(two), '--broker-instances', '2', '--redis', redis.url])]);
    expect(single.stderr).toContain('finished');
    expect(spread.stderr).toContain('finished');
    // Every count and simulated time: per-cause failures, rotations, connects, availability samples, audits.
    expect(summaryCounts(two)).toEqual(summaryCounts(one));
    expect(rotations(two)).toEqual(rotations(one));
    expect(rotations(one).length).toBeGreaterThan(0);
    // The devices really were spread: each instance admitted half of them.
    const reports = instanceReports(two);
    expect(reports.map((r) => r.devicesTotal)).toEqual([devices / 2, devices / 2]);
  }, 180_000);

  it('a device on instance 1 rotates through the backend on instance 0', () => {
    const file = writeScenarioFile(dir, 'cross.yaml', TINY_SCENARIO);
    const out = join(dir, 'cross');
    const result = runCli(['run', file, '--out', out, '--quiet', '--no-report', '--broker-instances', '2', '--redis', redis.url]);
    expect(result.stderr).toContain('finished');
    const [first, second] = instanceReports(out);
    // The backend's session is on instance 0 only; the odd devices dialled instance 1 only.
    expect(first?.backend).toBe(true);
    expect(second?.backend).toBe(false);
    expect(first?.devices).toEqual(['device-00000', 'device-00002']);
    expect(second?.devices).toEqual(['device-00001', 'device-00003']);
    const events = readEventLines<RotationLine & { ok?: boolean }>(join(out, 'events.ndjson'));
    for (const device of second?.devices ?? []) {
      // The CSR went device -> instance 1 -> Redis -> instance 0 -> backend, and the certificate came back the same way.
      expect(events.some((e) => e.type === 'broker.issuance' && e.device === device && e.ok === true)).toBe(true);
      expect(events.some((e) => e.type === 'device.rotation' && e.device === device && e.outcome === 'succeeded')).toBe(true);
    }
  }, 120_000);

  it('a broker instance killed mid-run is restarted and recorded as a broker restart for its devices', async () => {
    // Paced (about 3 s of wall time), so the kill lands mid-run.
    const file = writeScenarioFile(dir, 'killed.yaml', TINY_SCENARIO, ['step: 6h', 'step: 6h\n  speed: 20d/s']);
    const out = join(dir, 'killed');
    let killed: number | undefined;
    const result = await startCli(['run', file, '--out', out, '--no-report', '--broker-instances', '2', '--redis', redis.url], (stderr, child) => {
      if (killed !== undefined || !stderr.includes('certfleet: running') || child.pid === undefined) return;
      // The second broker instance the run started (its first process).
      const instance = childProcessIds(child.pid, 'broker-instance-process')[1];
      if (instance === undefined) return;
      killed = instance;
      setTimeout(() => process.kill(instance, 'SIGKILL'), 1_000);
    });
    expect(killed).toBeDefined();
    expect(result.status, result.stderr).toBe(0);
    const reports = instanceReports(out);
    expect(reports[1]?.pids[0]).toBe(killed);
    expect(reports[1]?.pids).toHaveLength(2);
    expect(reports[1]?.restarts).toHaveLength(1);
    expect(reports[0]?.restarts).toHaveLength(0);
    const events = readEventLines<EventLine & { instance?: number; device?: string; cause?: string }>(join(out, 'events.ndjson'));
    const restart = events.find((e) => e.type === 'broker.restart');
    expect(restart?.instance).toBe(1);
    // Its devices came back: an odd device connects again after the restart.
    const after = events.filter((e) => e.type === 'device.connect' && e.cause === 'ok' && e.t > (restart?.t ?? Infinity));
    expect(after.some((e) => e.device === 'device-00001' || e.device === 'device-00003')).toBe(true);
  }, 120_000);

  it.each([
    ['without --redis', ['--broker-instances', '2'], /^certfleet: --broker-instances: 2 needs --redis redis:\/\/HOST:PORT/],
    ['for a broker other than the embedded one', ['--broker', 'mosquitto', '--broker-instances', '2', '--redis', 'redis://127.0.0.1:1'], /needs broker\.target embedded .*not mosquitto/],
    ['with a --redis that is no Redis URL', ['--broker-instances', '2', '--redis', 'http://127.0.0.1:1'], /--redis: "http:\/\/127\.0\.0\.1:1" has scheme "http"/],
  ])('is refused %s with one clear line and exit 2', (_, flags, message) => {
    const out = join(dir, `refused-${flags.join('')}`.replace(/[^a-z0-9-]/gi, ''));
    const result = runCli(['run', 'scenarios/daa-24h.yaml', '--devices', '2', '--out', out, '--quiet', ...flags]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('refuses broker limits across instances, naming the scenario field, with exit 2', () => {
    const file = writeScenarioFile(
      dir,
      'limited.yaml',
      TINY_SCENARIO,
      ['  deviceAuthorities: [device-root]', '  deviceAuthorities: [device-root]\n  instances: 2\n  limits: { connectsPerSecond: 100 }'],
    );
    const result = runCli(['run', file, '--out', join(dir, 'limited'), '--quiet', '--redis', redis.url]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('limited.yaml: broker.instances: 2 cannot run with broker.limits');
  });
});
