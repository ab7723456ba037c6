/**
 * Agents that do not come, die or lose Redis, and a Redis that goes away: each is named, the run ends with a
 * partial readable result and exit 1 (or goes on, the lost devices rebooted on a survivor), never a hang.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { startCli, type CliResult } from '../support/cli.js';
import { startDeviceAgents, type DeviceAgents } from '../support/device-agents.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { DAY } from '../support/time.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-agent-faults-'));
/** The tiny scenario paced at 4 simulated days per wall second: about 15 s, time enough for a fault mid-run. */
const PACED = join(work, 'paced.yaml');
const START = Date.parse('2030-01-01T00:00:00Z');

beforeAll(() => {
  writeFileSync(PACED, TINY_SCENARIO.replace('  sample: 1d\n', '  sample: 1d\n  speed: 4d/s\n'));
});

/** Redis and two agents (agent-0, agent-1) for one test; each test has its own, so they run side by side. */
async function withAgents<T>(body: (redis: TestRedis, agents: DeviceAgents) => Promise<T>): Promise<T> {
  const redis = await startTestRedis();
  const agents = await startDeviceAgents(redis.url, 2);
  try {
    return await body(redis, agents);
  } finally {
    await agents.stop();
    await redis.stop();
  }
}

/** The latest simulated time an event of the run has been recorded at so far (a busy machine paces slower). */
function latestEventTime(out: string): number {
  if (!existsSync(join(out, 'events.ndjson'))) return 0;
  return Math.max(0, ...[...readFileSync(join(out, 'events.ndjson'), 'utf8').matchAll(/"t":(\d+)/g)].map((m) => Number(m[1])));
}

/** Runs the paced fleet of 8 on the two agents and does `fault` once the run has recorded two simulated days. */
function runWithFault(redis: TestRedis, out: string, fault: () => void, extraArgs: string[] = []): Promise<CliResult> {
  let watching = false;
  return startCli(['run', PACED, '--devices', '8', '--redis', redis.url, '--agents', '2', '--out', out, '--no-report', ...extraArgs], (stderr) => {
    if (watching || !stderr.includes('certfleet: running\n')) return;
    watching = true;
    const watch = setInterval(() => {
      if (latestEventTime(out) < START + 2 * DAY) return;
      clearInterval(watch);
      fault();
    }, 100);
  });
}

function expectPartial(summary: RunSummary, failure: RegExp): void {
  expect(summary.complete).toBe(false);
  expect(summary.interruption).toMatch(failure);
  const reached = Date.parse(summary.timeline.reached);
  expect(reached).toBeGreaterThan(START + DAY);
  expect(reached).toBeLessThan(Date.parse(summary.timeline.end));
  // One availability sample per simulated day up to the time reached: nothing already recorded is lost.
  expect(summary.availability.samples).toHaveLength(Math.floor((reached - START) / DAY));
  expect(summary.availability.samples[0]?.connected).toBe(1);
}

const readSummary = <T = RunSummary>(out: string) => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as T;

describe.concurrent('agents that are lost mid-run', () => {
  it('ends the run with exit 1 and a partial summary, naming the agent killed, its shards and its devices', async () => {
    await withAgents(async (redis, { agents }) => {
      const out = join(work, 'agent-killed');
      const victim = agents[1];
      const result = await runWithFault(redis, out, () => victim?.child.kill('SIGKILL'));
      expect(result.status, result.stderr).toBe(1);
      const failure = new RegExp(`agent agent-1 \\(host [^,]+, pid ${victim?.child.pid}; slot 1: shards 1, 3, 4 of 8 devices\\) lost: its heartbeat stopped`);
      expect(result.stderr).toMatch(failure);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expectPartial(readSummary(out), failure);
      // The surviving agent was told the run ended, and ended with it.
      expect(await agents[0]?.exited).toEqual({ code: 0, signal: null });
    });
  }, 120_000);

  it('with --on-agent-loss reassign hands the lost slot to the surviving agent, its devices rebooted and counted', async () => {
    await withAgents(async (redis, { agents }) => {
      const out = join(work, 'agent-reassigned');
      const victim = agents[1];
      const result = await runWithFault(redis, out, () => victim?.child.kill('SIGKILL'), ['--on-agent-loss', 'reassign', '--threshold', 'harness.devicesRestarted == 4']);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(`certfleet: agent agent-1 (host `);
      expect(result.stderr).toMatch(/lost: its heartbeat stopped \(the agent died, or lost Redis\); restarted its 4 devices as rebooted devices on agent agent-0 \(/);
      const summary = readSummary<JudgedRunSummary>(out);
      expect(summary.complete).toBe(true);
      expect(summary.timeline.reached).toBe(summary.timeline.end);
      expect(summary.harness.devicesRestarted).toBe(4);
      expect(summary.harness.restarts?.map((r) => [r.process, r.devices])).toEqual([[1, 4]]);
      expect(summary.harness.restarts?.[0]?.reason).toMatch(/^agent agent-1 \(host .*slot 1: shards 1, 3, 4 of 8 devices\) lost: /);
      expect(summary.thresholds.map((t) => [t.name, t.passed])).toEqual([['harness.devicesRestarted == 4', true]]);
      expect(await agents[0]?.exited).toEqual({ code: 0, signal: null });
    });
  }, 120_000);

  it('ends with a clear error and exit 1 when the redis-server is killed mid-run, and the agents exit 1 too', async () => {
    await withAgents(async (redis, { agents }) => {
      const out = join(work, 'redis-killed');
      const result = await runWithFault(redis, out, () => void redis.stop());
      expect(result.status, result.stderr).toBe(1);
      const failure = new RegExp(`Redis at ${redis.url.replace(/[.]/g, '\\.')} \\(the coordinator\\): unreachable for 3 s`);
      expect(result.stderr).toMatch(failure);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expectPartial(readSummary(out), failure);
      for (const agent of agents) {
        expect(await agent.exited).toEqual({ code: 1, signal: null });
        expect(agent.stderr()).toContain(`certfleet: Redis at ${redis.url} (agent ${agent.name}): unreachable for 3 s`);
      }
    });
  }, 120_000);
});
