import { performance } from 'node:perf_hooks';
import { build, decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { brokerConfigFrom } from '../broker/broker-config.js';
import { startEmbeddedBroker } from '../broker/embedded-broker.js';
import { planFleet } from '../sim/plan/fleet-plan.js';
import { percentiles } from '../sim/results/run-summary.js';
import { buildScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../sim/scenario-pki/device-factory.js';
import { parseScenario } from '../sim/scenario/load-scenario.js';
import { addCohortCounters, emptyCohortCounters, sumValues, type CohortCounters } from '../sim/stats/fleet-counters.js';
import { DeviceProcesses } from '../sim/run/device-processes.js';
import type { EncodedHistograms } from '../sim/stats/encoded-histograms.js';

/**
 * A fleet that does two things: every device connects at the first instant (a connect storm of full EC mutual-TLS
 * handshakes plus MQTT CONNECT/CONNACK, both sides judging the peer chain at their simulated clocks), then half an
 * hour later every device rotates (new key, CSR over MQTT, CA check and signature, device check, reconnect with a
 * full handshake on the new certificate).
 */
function benchScenario(devices: number): string {
  return `
name: bench-fleet
description: connect storm then rotation storm, for npm run bench
timeline: { start: 2030-01-01T00:00:00Z, end: 2030-01-02T00:00:00Z, step: 1h }
pki:
  authorities:
    - { name: server-root, subject: { CN: Bench Server Root }, notBefore: 2020-01-01T00:00:00Z, notAfter: 2040-01-01T00:00:00Z }
    - { name: server-ca, subject: { CN: Bench Server CA }, issuer: server-root, notBefore: 2020-01-01T00:00:00Z, notAfter: 2040-01-01T00:00:00Z }
    - { name: device-root, subject: { CN: Bench Device Root }, notBefore: 2020-01-01T00:00:00Z, notAfter: 2040-01-01T00:00:00Z }
    - { name: device-ca, subject: { CN: Bench Device CA }, issuer: device-root, notBefore: 2020-01-01T00:00:00Z, notAfter: 2040-01-01T00:00:00Z }
  serverCertificates:
    - { name: broker, issuer: server-ca, notBefore: 2029-01-01T00:00:00Z, notAfter: 2031-01-01T00:00:00Z, chain: [server-ca] }
  deviceCertificates:
    issuer: device-ca
    chain: [device-ca]
    lifetime: 30d
    # Issued 15 days minus 30 minutes before the start: renewal at half the lifetime falls 30 minutes in.
    issued: { from: 2029-12-17T00:30:00Z, to: 2029-12-17T00:30:00Z }
broker: { serverCertificate: broker, deviceAuthorities: [device-root] }
fleet:
  devices: ${devices}
  cohorts:
    - { name: bench, share: 1, trustStore: { anchors: [server-root] }, renewal: { at: 0.5 } }
`;
}

export interface PhaseMeasurement {
  operations: number;
  failures: number;
  wallMs: number;
  perSecond: number;
  /** Process CPU (all threads) per operation, ms. */
  cpuMsPerOperation: number;
  /** Event-loop utilisation of the main thread, which hosts the broker. */
  brokerEventLoopUtilization: number;
  /** Connects: handshake to CONNACK over every connect of the run; rotations: key generation to CONNACK. */
  latencyMs: ReturnType<typeof percentiles>;
}

export interface FleetMeasurement {
  devices: number;
  workers: number;
  concurrency: number;
  manufactureMs: number;
  connects: PhaseMeasurement;
  rotations: PhaseMeasurement;
}

export async function measureFleet(opts: { devices: number; workers: number; concurrency: number }): Promise<FleetMeasurement> {
  const scenario = parseScenario(benchScenario(opts.devices), 'bench-fleet.yaml');
  const plan = planFleet(scenario, { seed: 1 });
  const pki = buildScenarioPki(scenario, 1);
  const manufactureStart = performance.now();
  const credentials = manufactureDevices(plan, pki);
  const manufactureMs = performance.now() - manufactureStart;
  const broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 1), () => undefined);
  const stats = new Map<number, { counters: CohortCounters[]; histograms: EncodedHistograms }>();
  const fleet = await DeviceProcesses.start({
    plan,
    pki,
    credentials,
    broker: { host: broker.host, port: broker.port },
    processes: 1,
    workersPerProcess: opts.workers,
    shardOptions: { concurrency: opts.concurrency, ordered: false, connectTimeoutMs: 60_000, rotationTimeoutMs: 60_000 },
    onEvents: () => undefined,
    onStats: (m) => stats.set(m.shard, m),
  });
  const start = scenario.timeline.start;
  const phase = async (epoch: number, from: number, to: number) => {
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const wall = performance.now();
    await fleet.advance(epoch, from, to);
    return {
      wallMs: performance.now() - wall,
      cpuMs: (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000,
      elu: performance.eventLoopUtilization(elu).utilization,
    };
  };
  const connectPhase = await phase(0, start, start + 60_000);
  const rotationPhase = await phase(1, start + 60_000, start + 3_600_000);
  await fleet.stop();
  await broker.close();

  const counters = emptyCohortCounters();
  const connectLatency = build();
  const rotationLatency = build();
  for (const s of stats.values()) {
    s.counters.forEach((c) => addCohortCounters(counters, c));
    connectLatency.add(decodeFromCompressedBase64(s.histograms.connectLatencyMs));
    rotationLatency.add(decodeFromCompressedBase64(s.histograms.rotationLatencyMs));
  }
  const measurement = (operations: number, failures: number, p: typeof connectPhase, latency: typeof connectLatency): PhaseMeasurement => ({
    operations,
    failures,
    wallMs: Math.round(p.wallMs),
    perSecond: Math.round((operations / p.wallMs) * 1000),
    cpuMsPerOperation: Math.round((p.cpuMs / Math.max(operations, 1)) * 100) / 100,
    brokerEventLoopUtilization: Math.round(p.elu * 100) / 100,
    latencyMs: percentiles(latency),
  });
  // Connect counters count first connects and reconnects; the handshake that ends a rotation is part of the rotation.
  const rotations = counters.rotationsSucceeded;
  const connects = counters.connectsSucceeded;
  return {
    devices: opts.devices,
    workers: opts.workers,
    concurrency: opts.concurrency,
    manufactureMs: Math.round(manufactureMs),
    connects: measurement(connects, sumValues(counters.connectFailures), connectPhase, connectLatency),
    rotations: measurement(rotations, sumValues(counters.rotationsFailed), rotationPhase, rotationLatency),
  };
}
