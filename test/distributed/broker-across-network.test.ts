import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../sim/results/manifest.js';
import { startBrokerCli } from '../support/broker-cli.js';
import { runCli } from '../support/cli.js';
import { buildTestNetwork, type TestHost, type TestNetwork } from '../support/netns.js';
import { runProgram } from '../support/run-program.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { summaryCounts } from '../support/summary-counts.js';

const AT = '2030-01-15T00:00:00.000Z';
const root = mkdtempSync(join(tmpdir(), 'certfleet-network-'));
const scenarioFile = writeScenarioFile(root, 'tiny.yaml', TINY_SCENARIO);
let network: TestNetwork;
let hostA: TestHost;
let hostB: TestHost;

beforeAll(() => {
  network = buildTestNetwork(2);
  [hostA, hostB] = network.hosts as [TestHost, TestHost];
});

afterAll(() => {
  network?.teardown();
  rmSync(root, { recursive: true, force: true });
});

/** A device's exported commands.sh run on host B: mosquitto_rr sends a sync request and waits for the backend's answer. */
function syncFromHostB(dir: string, folder: string) {
  return runProgram(hostB.prefix[0] ?? 'ip', [...hostB.prefix.slice(1), 'sh', join(dir, folder, 'commands.sh'), 'sync-at-broker-clock', '-W', '10'], { timeoutMs: 30_000 });
}

describe('the broker on one test host, its clients on another', () => {
  it('serves a device on host B when certfleet broker listens on host A\'s address: B\'s request is answered', async () => {
    const broker = await startBrokerCli(scenarioFile, join(root, 'on-a'), ['--listen', hostA.address, '--at', AT, '--devices', '2'], 60_000, { prefix: hostA.prefix });
    try {
      expect(broker.info).toMatchObject({ listen: hostA.address, host: hostA.address });
      const device = broker.info.identities.find((d) => Date.parse(d.notAfter) > Date.parse(AT));
      if (!device) throw new Error('no exported identity outlives the start');
      const answered = await syncFromHostB(broker.dir, device.folder);
      expect(answered).toMatchObject({ status: 0 });
      // The backend's answer to the sync request: the deliveries waiting for this device (none yet).
      expect(JSON.parse(answered.stdout)).toEqual({ deliveries: [] });
    } finally {
      expect((await broker.stop()).status).toBe(0);
    }
  });

  it('is out of host B\'s reach when it listens on loopback only: B\'s connect is refused at once, not left hanging', async () => {
    const broker = await startBrokerCli(scenarioFile, join(root, 'loopback'), ['--at', AT, '--devices', '2'], 60_000, { prefix: hostA.prefix });
    try {
      expect(broker.info).toMatchObject({ listen: '127.0.0.1', host: '127.0.0.1' });
      // Host A has the port open on 127.0.0.1 only: its own address answers with a reset (ECONNREFUSED).
      const dialled = await runProgram(hostB.prefix[0] ?? 'ip', [...hostB.prefix.slice(1), 'mosquitto_pub', '-h', hostA.address, '-p', String(broker.info.port), '-t', 'x', '-m', 'y'], { timeoutMs: 20_000 });
      expect(dialled.status).not.toBe(0);
      expect(dialled.stderr).toContain('Connection refused');
    } finally {
      expect((await broker.stop()).status).toBe(0);
    }
  });
});

describe('certfleet run with its broker on an address of the host', () => {
  it('listens on host A\'s address, its devices dial it there, and the counts are those of the run on loopback', () => {
    const onA = runCli(['run', scenarioFile, '--listen', hostA.address, '--out', join(root, 'run-a'), '--quiet', '--no-report'], { prefix: hostA.prefix });
    expect(onA.stderr).toContain('finished');
    expect(onA.status).toBe(0);
    const loopback = runCli(['run', scenarioFile, '--out', join(root, 'run-loopback'), '--quiet', '--no-report']);
    expect(loopback.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, 'run-a', 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.broker.listen).toMatchObject({ address: hostA.address, dial: hostA.address, advertise: hostA.address });
    expect(summaryCounts(join(root, 'run-a'))).toEqual(summaryCounts(join(root, 'run-loopback')));
  });

  it('on 0.0.0.0 tells devices on other hosts to dial the host\'s own address, or the one --advertise names', () => {
    const all = runCli(['run', scenarioFile, '--listen', '0.0.0.0', '--out', join(root, 'run-all'), '--quiet', '--no-report'], { prefix: hostA.prefix });
    expect(all.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, 'run-all', 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.broker.listen).toMatchObject({ address: '0.0.0.0', dial: '127.0.0.1', advertise: hostA.address });
    const named = runCli(['run', scenarioFile, '--listen', '0.0.0.0', '--advertise', 'broker.fleet.example', '--out', join(root, 'run-named'), '--quiet', '--no-report'], { prefix: hostA.prefix });
    expect(named.status).toBe(0);
    expect((JSON.parse(readFileSync(join(root, 'run-named', 'summary.json'), 'utf8')) as { broker: { listen: unknown } }).broker.listen).toMatchObject({ advertise: 'broker.fleet.example' });
  });

  it('refuses an address the host does not have, in one line, before it writes anything', () => {
    const refused = runCli(['run', scenarioFile, '--listen', hostB.address, '--out', join(root, 'run-not-mine'), '--quiet'], { prefix: hostA.prefix });
    expect(refused.status).toBe(2);
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      `certfleet: --listen: cannot listen on ${hostB.address}:0 (EADDRNOTAVAIL): not an address of this host; give one of its addresses, or 0.0.0.0 for all of them`,
    ]);
  });
});
