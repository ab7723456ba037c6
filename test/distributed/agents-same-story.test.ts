/**
 * Same seed, same story: a scenario run with its devices on two agents joined through Redis gives the same per-cause
 * counts, the same rotations and the same availability samples as the single-process run of the same seed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { RunManifest } from '../../sim/results/manifest.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { startCli } from '../support/cli.js';
import { startDeviceAgents } from '../support/device-agents.js';
import { startTestRedis } from '../support/redis-server.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-agents-story-'));
/** Small fleets: daa-24h rotates every device daily, so its fleet is the smaller. */
const DEVICES: Record<string, number> = { 'root-expiry-2030': 16, 'daa-24h': 8 };

/** What a run's story is: everything counted in simulated time, nothing measured in wall time. */
function story(summary: RunSummary) {
  const { latencyMs: _r, throughputPerWallSecond: _t, ...rotations } = summary.rotations;
  const { latencyMs: _c, perWallSecond: _p, ...connects } = summary.connects;
  return {
    byCause: summary.failures.byCause,
    rotations,
    connects,
    cohorts: summary.cohorts,
    lockedOut: summary.lockedOut,
    unrecovered: summary.unrecovered,
    samples: summary.availability.samples,
  };
}

describe.concurrent('a run on agents tells the same story as the single-process run of the same seed', () => {
  for (const scenario of ['root-expiry-2030', 'daa-24h']) {
    it(`gives the same per-cause counts, rotations and availability samples for ${scenario} on two agents`, async ({ expect }) => {
      const devices = DEVICES[scenario] ?? 8;
      const redis = await startTestRedis();
      const agents = await startDeviceAgents(redis.url, 2);
      try {
        const file = `scenarios/${scenario}.yaml`;
        const common = ['--devices', String(devices), '--quiet', '--no-report'];
        const [single, spread] = await Promise.all([
          startCli(['run', file, ...common, '--workers', '1', '--out', join(work, `${scenario}-single`)]),
          startCli(['run', file, ...common, '--redis', redis.url, '--agents', '2', '--out', join(work, `${scenario}-agents`)]),
        ]);
        expect(single.status, single.stderr).toBe(0);
        expect(spread.status, spread.stderr).toBe(0);
        const read = (name: string) => JSON.parse(readFileSync(join(work, `${scenario}-${name}`, 'summary.json'), 'utf8')) as RunSummary;
        const one = read('single');
        const two = read('agents');
        expect(one.complete).toBe(true);
        expect(two.complete).toBe(true);
        expect(one.connects.succeeded).toBeGreaterThan(0);
        expect(one.rotations.attempted).toBeGreaterThan(0);
        expect(story(two)).toEqual(story(one));

        // The manifest says which agent held what: every device on exactly one of the two.
        const manifest = JSON.parse(readFileSync(join(work, `${scenario}-agents`, 'manifest.json'), 'utf8')) as RunManifest;
        expect(manifest.agents?.map((a) => [a.name, a.slot])).toEqual([
          ['agent-0', 0],
          ['agent-1', 1],
        ]);
        expect(manifest.agents?.reduce((sum, a) => sum + a.devices, 0)).toBe(devices);
        expect(manifest.agents?.flatMap((a) => a.shards).sort()).toEqual([0, 1, 2, 3]);
        // Each agent served this one run and ended with it, as an Indexed Job's pod completes.
        expect(await Promise.all(agents.agents.map((a) => a.exited))).toEqual([
          { code: 0, signal: null },
          { code: 0, signal: null },
        ]);
      } finally {
        await agents.stop();
        await redis.stop();
      }
    }, 240_000);
  }
});
