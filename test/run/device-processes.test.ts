import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceProcesses, fleetShardCount } from '../../sim/run/device-processes.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../../sim/scenario-pki/device-factory.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';

describe('devices hosted in child processes', () => {
  it('gives the same per-cause counts whether the fleet runs in one process or is spread over two', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-processes-'));
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, TINY_SCENARIO);
    const run = async (processes: number, workers: number) =>
      (await runScenario({ loaded: loadScenario(file), devices: 9, outDir: join(dir, `run-${processes}x${workers}`), workers, deviceProcesses: processes })).summary;
    const one = await run(1, 1);
    const spread = await run(2, 4);
    expect(one.complete).toBe(true);
    expect(spread.complete).toBe(true);
    expect(one.connects.succeeded).toBeGreaterThan(0);
    expect(spread.failures.byCause).toEqual(one.failures.byCause);
    expect(spread.rotations.succeeded).toBe(one.rotations.succeeded);
    expect(spread.connects.succeeded).toBe(one.connects.succeeded);
    expect(spread.availability.final).toEqual(one.availability.final);
  }, 180_000);

  it('numbers shards over the whole fleet and never makes more shards than devices', () => {
    expect(fleetShardCount(2, 2, 100)).toBe(4);
    expect(fleetShardCount(2, 3, 5)).toBe(5);
    expect(fleetShardCount(3, 1, 2)).toBe(2);
    expect(fleetShardCount(1, 0, 10)).toBe(1);
  });

  it('fails the next epoch with a clear error when a device process dies mid-run', async () => {
    const scenario = tinyScenario();
    const plan = planFleet(scenario, { seed: 1, devices: 4 });
    const pki = buildScenarioPki(scenario, 1);
    const fleet = await DeviceProcesses.start({
      plan,
      pki,
      credentials: manufactureDevices(plan, pki),
      // Nothing listens here: the devices only need to exist, not to connect, for this test.
      broker: { host: '127.0.0.1', port: 9 },
      processes: 2,
      workersPerProcess: 1,
      shardOptions: { concurrency: 4, ordered: false, connectTimeoutMs: 1_000, rotationTimeoutMs: 1_000 },
      onEvents: () => undefined,
      onStats: () => undefined,
    });
    try {
      const pids = fleet.processIds();
      expect(pids).toHaveLength(2);
      process.kill(pids[1] ?? 0, 'SIGKILL');
      await expect(fleet.advance(0, scenario.timeline.start, scenario.timeline.start + 1_000)).rejects.toThrow(
        new RegExp(`^device process 1 \\(pid ${pids[1]}, 2 of 4 devices\\) exited unexpectedly: killed by SIGKILL$`),
      );
    } finally {
      fleet.destroy();
    }
  }, 60_000);
});
