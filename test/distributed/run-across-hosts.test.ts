import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../sim/results/manifest.js';
import { runCli, startCli } from '../support/cli.js';
import { startDeviceAgents, type DeviceAgents } from '../support/device-agents.js';
import { buildTestNetwork, type TestHost, type TestNetwork } from '../support/netns.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { runProgram } from '../support/run-program.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { summaryCounts } from '../support/summary-counts.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

/** The broker instances' ports on host A (this one and the next): its namespace is new, so nobody holds them. */
const BROKER_PORT = 8883;
const root = mkdtempSync(join(tmpdir(), 'certfleet-hosts-'));
// Paced, so that the devices' connections stay open long enough to be seen from host A.
const scenarioFile = writeScenarioFile(root, 'tiny.yaml', TINY_SCENARIO, ['  step: 6h\n', '  step: 6h\n  speed: 20d/s\n']);
let network: TestNetwork;
let hostA: TestHost;
let hostB: TestHost;
let hostC: TestHost;
let redis: TestRedis;
const agents: DeviceAgents[] = [];

beforeAll(async () => {
  network = buildTestNetwork(3);
  [hostA, hostB, hostC] = network.hosts as [TestHost, TestHost, TestHost];
  // Redis and the coordinator on host A; the agents on B and C dial Redis there.
  redis = await startTestRedis({ host: hostA.address, prefix: hostA.prefix });
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await redis?.stop();
  network?.teardown();
  rmSync(root, { recursive: true, force: true });
});

/** The addresses of the peers of the established connections to `port` on a host, as `ss` there lists them. */
async function peersOf(host: TestHost, port: number): Promise<string[]> {
  const listed = await runProgram(host.prefix[0] ?? 'ip', [...host.prefix.slice(1), 'ss', '-Htn', 'state', 'established', `( sport = :${port} )`]);
  return listed.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/).at(-1) ?? '')
    .filter((peer) => peer !== '')
    .map((peer) => peer.replace(/:\d+$/, ''));
}

describe('a run whose coordinator and broker are on host A and whose devices are on agents on hosts B and C', () => {
  it('connects the devices from B\'s and C\'s addresses to two broker instances and counts what the single-process run of the same seed counts', async () => {
    agents.push(await startDeviceAgents(redis.url, 1, { firstIndex: 0, prefix: hostB.prefix }));
    agents.push(await startDeviceAgents(redis.url, 1, { firstIndex: 1, prefix: hostC.prefix }));
    const out = join(root, 'across');
    let running = true;
    const run = startCli(
      ['run', scenarioFile, '--redis', redis.url, '--agents', '2', '--broker-instances', '2', '--listen', hostA.address, '--broker-port', String(BROKER_PORT), '--out', out, '--quiet', '--no-report'],
      undefined,
      { prefix: hostA.prefix },
    ).finally(() => (running = false));
    // Who is connected to each broker instance, seen from host A for as long as the run goes on.
    const seen = [new Set<string>(), new Set<string>()];
    while (running) {
      for (const [i, peers] of seen.entries()) for (const peer of await peersOf(hostA, BROKER_PORT + i)) peers.add(peer);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const result = await run;
    expect(result.status, result.stderr).toBe(0);
    // Devices from both agents' hosts, each instance serving some of them; the backend, inside the coordinator, on
    // instance 0 from A itself. (Which agent's devices land on which instance is the placement's business.)
    const [first = new Set<string>(), second = new Set<string>()] = seen;
    expect([...new Set([...first, ...second])].sort()).toEqual([hostA.address, hostB.address, hostC.address].sort());
    expect(first.has(hostA.address)).toBe(true);
    expect(second.size).toBeGreaterThan(0);
    expect([...second].every((peer) => peer === hostB.address || peer === hostC.address)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.broker.listen).toEqual({ address: hostA.address, port: BROKER_PORT, dial: hostA.address, advertise: hostA.address });
    for (const { agents: started } of agents.splice(0)) for (const agent of started) expect((await agent.exited).code).toBe(0);

    // The same scenario and seed in one process on this host: two device workers, as the two agents had.
    const single = runCli(['run', scenarioFile, '--workers', '2', '--out', join(root, 'single'), '--quiet', '--no-report']);
    expect(single.status).toBe(0);
    expect(summaryCounts(out)).toEqual(summaryCounts(join(root, 'single')));
  }, 240_000);

  it('ends with exit 1 and a line naming the broker\'s loopback address when an agent on host B cannot reach it, instead of counting failed connects', async () => {
    const onB = await startDeviceAgents(redis.url, 1, { prefix: hostB.prefix });
    agents.push(onB);
    const result = await startCli(['run', scenarioFile, '--redis', redis.url, '--agents', '1', '--out', join(root, 'loopback'), '--quiet', '--no-report'], undefined, {
      prefix: hostA.prefix,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/agent agent-0 .*failed: cannot reach the broker at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); 127\.0\.0\.1 is loopback/);
    // The agent does not wait for a run that has ended.
    await onB.agents[0]?.exited;
    const summary = JSON.parse(readFileSync(join(root, 'loopback', 'summary.json'), 'utf8')) as { complete: boolean };
    expect(summary.complete).toBe(false);
  }, 120_000);
});
