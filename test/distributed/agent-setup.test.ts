/**
 * Setting up a run on agents: agents that do not all come are named, with what they would have held; a bad Redis URL,
 * an unreachable Redis or no coordinator gets one clear line and its exit code, never a stack trace or a hang.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentRoster } from '../../sim/run/agents/agent-roster.js';
import { agentKeys, CLAIM_TTL_MS } from '../../sim/redis/agent-keys.js';
import { connectRedis } from '../../sim/redis/connect-redis.js';
import { parseRedisUrl } from '../../sim/redis/redis-url.js';
import { runCli, startCli } from '../support/cli.js';
import { startDeviceAgents } from '../support/device-agents.js';
import { freeLoopbackPort, startTestRedis } from '../support/redis-server.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-agent-setup-'));
const SCENARIO = join(work, 'tiny.yaml');

beforeAll(() => writeFileSync(SCENARIO, TINY_SCENARIO));

/** stderr holds exactly one line, matching `line`, and nothing like a stack trace. */
function expectOneLine(stderr: string, line: RegExp): void {
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
  expect(stderr.trimEnd()).toMatch(line);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe.concurrent('setting up a run on agents', () => {
  it('names the agent that did not come within --agent-wait, what it would have held and who did join, and runs nothing', async ({ expect }) => {
    const redis = await startTestRedis();
    const agents = await startDeviceAgents(redis.url, 1);
    try {
      const out = join(work, 'missing');
      const result = await startCli(['run', SCENARIO, '--devices', '8', '--redis', redis.url, '--agents', '2', '--agent-wait', '3s', '--out', out, '--quiet']);
      expect(result.status).toBe(2);
      expectOneLine(
        result.stderr,
        new RegExp(`^certfleet: --agents: 1 of 2 agents joined within 3 s \\(joined: agent-0 \\(host [^,]+, pid ${agents.agents[0]?.child.pid}\\)\\); missing 1: slot 1 \\(shards 1, 3: 4 of 8 devices\\); start them with "certfleet agent --redis ${redis.url}"`),
      );
      // Nothing half-written: the folder holds no manifest of a run that never started.
      expect(readdirSync(out)).toEqual([]);
      // The agent it had claimed is free again for the next coordinator.
      await expect.poll(() => agents.agents[0]?.stderr(), { timeout: 10_000 }).toContain('released before the run started; waiting for a coordinator again');
    } finally {
      await agents.stop();
      await redis.stop();
    }
  }, 180_000);

  it('refuses a --redis that is no Redis URL with exit 2 and one line, on run and on agent', async () => {
    const run = runCli(['run', SCENARIO, '--redis', 'http://127.0.0.1:6379', '--agents', '2']);
    expect(run.status).toBe(2);
    expectOneLine(run.stderr, /^certfleet: --redis: "http:\/\/127\.0\.0\.1:6379" has scheme "http": expected redis:\/\/ or rediss:\/\/$/);
    const agent = runCli(['agent', '--redis', '127.0.0.1:6379']);
    expect(agent.status).toBe(2);
    expectOneLine(agent.stderr, /^certfleet: --redis: "127\.0\.0\.1:6379" .*expected redis:\/\/HOST:PORT/);
    const alone = runCli(['run', SCENARIO, '--agents', '2']);
    expect(alone.status).toBe(2);
    expectOneLine(alone.stderr, /^certfleet: --agents: needs --redis redis:\/\/HOST:PORT/);
  }, 180_000);

  it('says which Redis an agent or a run could not reach, and who it is, with exit 1', async () => {
    const port = await freeLoopbackPort();
    const result = await startCli(['agent', '--redis', `redis://127.0.0.1:${port}`, '--name', 'edge-7', '--quiet']);
    expect(result.status).toBe(1);
    expectOneLine(result.stderr, new RegExp(`^certfleet: Redis at redis://127\\.0\\.0\\.1:${port} \\(agent edge-7\\): cannot connect: .*ECONNREFUSED`));
    const out = join(work, 'no-redis');
    const run = await startCli(['run', SCENARIO, '--redis', `redis://127.0.0.1:${port}`, '--agents', '1', '--out', out, '--quiet']);
    expect(run.status).toBe(1);
    expectOneLine(run.stderr, new RegExp(`^certfleet: Redis at redis://127\\.0\\.0\\.1:${port} \\(the coordinator\\): cannot connect: .*ECONNREFUSED.*; nothing was run$`));
    expect(readdirSync(out)).toEqual([]);
  }, 180_000);

  it('ends an agent no coordinator claims within --wait with exit 1 and says so', async () => {
    const redis = await startTestRedis();
    try {
      const result = await startCli(['agent', '--redis', redis.url, '--index', '3', '--wait', '2s', '--quiet']);
      expect(result.status).toBe(1);
      expectOneLine(result.stderr, /^certfleet: agent agent-3: no coordinator claimed it within 2 s/);
    } finally {
      await redis.stop();
    }
  }, 180_000);

  it('holds the agents it claimed through a preparation longer than a claim lives, before it refreshes anything', async ({ expect }) => {
    const redis = await startTestRedis();
    const agents = await startDeviceAgents(redis.url, 1);
    const address = parseRedisUrl(redis.url);
    const [coordinator, observer] = await Promise.all([connectRedis(address, { role: 'the coordinator' }), connectRedis(address, { role: 'the test' })]);
    try {
      const roster = await AgentRoster.join({ redis: coordinator, runId: 'preparing', wanted: 1, waitMs: 10_000, describeSlot: () => '', url: redis.url });
      // Asked in the same turn join resolved in, as a coordinator that goes straight on to manufacture a large fleet
      // (minutes with its thread blocked): what the claim holds now is all the agent has until the fleet starts.
      const ttl = observer.pttl(agentKeys('agent-0').claim);
      roster.stopWatching();
      expect(await ttl).toBeGreaterThan(CLAIM_TTL_MS);
      await expect.poll(() => agents.agents[0]?.stderr(), { timeout: 10_000 }).toContain('claimed by run preparing');
    } finally {
      coordinator.disconnect();
      observer.disconnect();
      await agents.stop();
      await redis.stop();
    }
  }, 60_000);
});
