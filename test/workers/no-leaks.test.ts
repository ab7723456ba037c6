import { MessageChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../../sim/scenario-pki/device-factory.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import { ShardRunner } from '../../workers/shard-runner.js';

// Two-hour certificates renewed at half their life: a rotation per device every simulated hour, for three days.
const SCENARIO = `
name: hourly-rotation
description: frequent rotations, for the leak test
timeline: { start: 2030-01-01T00:00:00Z, end: 2030-01-04T00:00:00Z, step: 1h }
pki:
  authorities:
    - { name: server-root, subject: { CN: Leak Server Root }, notBefore: 2020-01-01T00:00:00Z, notAfter: 2040-01-01T00:00:00Z }
    - { name: device-root, subject: { CN: Leak Device Root }, notBefore: 2020-01-01T00:00:00Z, notAfter: 2040-01-01T00:00:00Z }
  serverCertificates:
    - { name: broker, issuer: server-root, notBefore: 2029-01-01T00:00:00Z, notAfter: 2031-01-01T00:00:00Z }
  deviceCertificates:
    issuer: device-root
    lifetime: 2h
    issued: { from: 2029-12-31T23:30:00Z, to: 2029-12-31T23:59:00Z }
broker: { serverCertificate: broker, deviceAuthorities: [device-root] }
fleet:
  devices: 4
  cohorts:
    - { name: all, share: 1, trustStore: { anchors: [server-root] }, renewal: { at: 0.5 } }
`;

/** Live handles of this process by kind (TLSWrap, TCPWrap, Timeout, ...). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

let broker: EmbeddedBroker | undefined;
afterAll(async () => {
  await broker?.close();
});

describe('a shard rotating every simulated hour for three days', () => {
  it('ends with as many sockets, timers and broker sessions as it had after the first day', async () => {
    const scenario = parseScenario(SCENARIO, 'hourly-rotation.yaml');
    const plan = planFleet(scenario, { seed: 3 });
    const pki = buildScenarioPki(scenario, 3);
    broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 3), () => undefined);
    const channel = new MessageChannel();
    channel.port2.on('message', () => undefined);
    const runner = await ShardRunner.create({
      shard: 0,
      shards: 1,
      plan,
      pki,
      credentials: manufactureDevices(plan, pki),
      broker: { host: broker.host, port: broker.port },
      options: { concurrency: 4, ordered: false, connectTimeoutMs: 10_000, rotationTimeoutMs: 10_000 },
      port: channel.port1,
    });
    const hour = 3_600_000;
    const { start } = scenario.timeline;
    let afterFirstDay: Record<string, number> = {};
    let heapAfterFirstDay = 0;
    for (let h = 0; h < 72; h += 1) {
      broker.setEpoch(start + h * hour, start + (h + 1) * hour);
      const result = await runner.advance(start + h * hour, start + (h + 1) * hour);
      expect(result.status[0]?.connected).toBe(4);
      if (h === 23) {
        // Sockets closed at the end of a rotation are released on the next turns of the event loop.
        await new Promise((resolve) => setTimeout(resolve, 200));
        afterFirstDay = resources();
        heapAfterFirstDay = process.memoryUsage().heapUsed;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const atEnd = resources();
    const stats = broker.stats();
    await runner.shutdown();
    channel.port1.close();
    channel.port2.close();

    // About 4 x 71 rotations happened, each with a new key, a CSR round trip and a reconnect.
    expect(stats.admitted).toBeGreaterThan(250);
    expect(stats.connected).toBe(4);
    for (const kind of ['TLSWrap', 'TCPSocketWrap', 'TCPWrap', 'Timeout']) {
      expect({ kind, count: atEnd[kind] ?? 0 }).toEqual({ kind, count: afterFirstDay[kind] ?? 0 });
    }
    // Two more days of rotations may not double the heap (a leak of per-rotation objects would grow it by ~2x).
    expect(process.memoryUsage().heapUsed).toBeLessThan(heapAfterFirstDay * 2);
  }, 120_000);
});
