import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Histogram } from 'hdr-histogram-js';
import { brokerConfigFrom } from '../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded-broker.js';
import { planFleet, type FleetPlan } from '../sim/plan/fleet-plan.js';
import { percentiles } from '../sim/results/run-summary.js';
import { DeviceProcesses } from '../sim/run/device-processes.js';
import { buildScenarioPki, type ScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices, type FactoryCredentials } from '../sim/scenario-pki/device-factory.js';
import { parseScenario } from '../sim/scenario/load-scenario.js';
import { sumValues } from '../sim/stats/fleet-counters.js';
import { processUsage, totalUsage, type ProcessUsage } from './process-usage.js';
import { StatsTally } from './stats-tally.js';

/**
 * The bench fleet: every device connects at the first instant (a storm of full EC P-256 mutual-TLS handshakes plus
 * MQTT CONNECT/CONNACK, both sides judging the peer chain at their simulated clocks), holds its session, and half an
 * hour later rotates (new key, CSR over MQTT, the CA checks and signs, the device checks, swaps and reconnects with a
 * full handshake). `validFrom` places the certificates in time: the simulated 2030 by default, or around the real
 * date for a broker that judges at the host clock (Mosquitto).
 */
export function benchScenario(devices: number, start = Date.parse('2030-01-01T00:00:00Z'), timeline: BenchTimeline = {}): string {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const day = 86_400_000;
  // A change to the accepted device authorities that adds none and removes none: it ends an epoch and changes nothing.
  const events = (timeline.emptyEpochsAt ?? []).map((at) => `\n  - { type: broker-device-authorities, at: ${iso(at)} }`).join('');
  return `
name: bench-fleet
description: connect storm, hold, rotation storm (npm run bench)
timeline: { start: ${iso(start)}, end: ${iso(timeline.end ?? start + day)}, step: ${timeline.step ?? '1h'} }
pki:
  authorities:
    - { name: server-root, subject: { CN: Bench Server Root }, notBefore: ${iso(start - 3650 * day)}, notAfter: ${iso(start + 3650 * day)} }
    - { name: server-ca, subject: { CN: Bench Server CA }, issuer: server-root, notBefore: ${iso(start - 3650 * day)}, notAfter: ${iso(start + 3650 * day)} }
    - { name: device-root, subject: { CN: Bench Device Root }, notBefore: ${iso(start - 3650 * day)}, notAfter: ${iso(start + 3650 * day)} }
    - { name: device-ca, subject: { CN: Bench Device CA }, issuer: device-root, notBefore: ${iso(start - 3650 * day)}, notAfter: ${iso(start + 3650 * day)} }
  serverCertificates:
    - { name: broker, issuer: server-ca, notBefore: ${iso(start - 365 * day)}, notAfter: ${iso(start + 365 * day)}, chain: [server-ca] }
  deviceCertificates:
    issuer: device-ca
    chain: [device-ca]
    lifetime: 30d
    # Issued 15 days minus 30 minutes before the start: renewal at half the lifetime falls 30 minutes in.
    issued: { from: ${iso(start - 15 * day + 1_800_000)}, to: ${iso(start - 15 * day + 1_800_000)} }
broker: { serverCertificate: broker, deviceAuthorities: [device-root] }
fleet:
  devices: ${devices}
  cohorts:
    - { name: bench, share: 1, trustStore: { anchors: [server-root] }, renewal: { at: 0.5 } }
${events ? `events:${events}\n` : ''}`;
}

/** A bench timeline other than the default day in hourly epochs: its end, its step, and epochs in which nothing is due. */
export interface BenchTimeline {
  end?: number | undefined;
  step?: string | undefined;
  emptyEpochsAt?: readonly number[] | undefined;
}

export interface BenchFleet {
  plan: FleetPlan;
  pki: ScenarioPki;
  credentials: Record<string, FactoryCredentials>;
  manufactureMs: number;
}

export function manufactureBenchFleet(devices: number, start?: number): BenchFleet {
  const scenario = parseScenario(benchScenario(devices, start), 'bench-fleet.yaml');
  const plan = planFleet(scenario, { seed: 1 });
  const pki = buildScenarioPki(scenario, 1);
  const began = performance.now();
  const credentials = manufactureDevices(plan, pki);
  return { plan, pki, credentials, manufactureMs: Math.round(performance.now() - began) };
}

export interface PhaseMeasurement {
  operations: number;
  failures: number;
  wallMs: number;
  perSecond: number;
  /** CPU per operation in each process, and in all of them (ms). */
  cpuMsPerOperation: { broker: number; devices: number; total: number };
  /** Event-loop utilisation of the broker's thread (the embedded broker only). */
  brokerEventLoopUtilization?: number | undefined;
  /** Connects: handshake to CONNACK; rotations: key generation to CONNACK on the new certificate. */
  latencyMs: ReturnType<typeof percentiles>;
}

export interface FleetMeasurement {
  devices: number;
  deviceProcesses: number;
  workersPerProcess: number;
  concurrencyPerWorker: number;
  manufactureMs: number;
  /** Time from starting the device processes to every device having loaded its key and chain (power-on). */
  bootMs: number;
  connects: PhaseMeasurement;
  hold: { seconds: number; connectedBefore: number; connectedAfter: number; reconnects: number; brokerConnected?: number | undefined };
  memory: {
    connectedDevices: number;
    brokerBytesPerDevice?: number | undefined;
    deviceBytesPerDevice: number;
    totalBytesPerDevice?: number | undefined;
    /** The broker's share split (embedded broker only): V8 heap in use, and memory outside it (OpenSSL, sockets). */
    brokerBreakdown?: { heapBytesPerDevice: number; externalBytesPerDevice: number; outsideHeapBytesPerDevice: number } | undefined;
    /** The same right after the connect storm, handshake garbage not yet collected. */
    afterStorm: { brokerBytesPerDevice?: number | undefined; deviceBytesPerDevice: number; totalBytesPerDevice?: number | undefined };
    note: string;
  };
  rotations?: PhaseMeasurement | undefined;
}

export interface FleetBenchOptions {
  fleet: BenchFleet;
  /** An external broker to dial instead of starting the embedded one (its process id, when known, for CPU figures). */
  external?: { host: string; port: number; pid?: number | undefined } | undefined;
  deviceProcesses: number;
  workersPerProcess: number;
  concurrency: number;
  holdSeconds: number;
  rotate: boolean;
}

/**
 * Connect storm, hold, rotation storm for one fleet, with the CPU of every process involved and the resident memory
 * each side adds per connected device. Nothing here judges a certificate: the broker and devices do, at their clocks.
 */
export async function measureFleet(options: FleetBenchOptions): Promise<FleetMeasurement> {
  const { plan, pki, credentials } = options.fleet;
  const scenario = plan.scenario;
  const devices = plan.devices.length;
  const brokerBefore = options.external?.pid === undefined ? processUsage(process.pid) : processUsage(options.external.pid);
  let broker: EmbeddedBroker | undefined;
  if (!options.external) broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 1), () => undefined);
  const address = options.external ?? { host: broker?.host ?? '127.0.0.1', port: broker?.port ?? 0 };
  const stats = new StatsTally();
  const bootStarted = performance.now();
  const fleet = await DeviceProcesses.start({
    plan,
    pki,
    credentials,
    broker: { host: address.host, port: address.port },
    processes: options.deviceProcesses,
    workersPerProcess: options.workersPerProcess,
    shardOptions: { concurrency: options.concurrency, ordered: false, connectTimeoutMs: 120_000, rotationTimeoutMs: 120_000 },
    onEvents: () => undefined,
    onStats: stats.onStats,
  });
  const bootMs = Math.round(performance.now() - bootStarted);
  const devicePids = fleet.processIds();
  const brokerPid = options.external ? options.external.pid : process.pid;
  const devicesIdle = totalUsage(devicePids);
  const brokerIdle = brokerPid === undefined ? undefined : processUsage(brokerPid);
  const brokerHeapIdle = process.memoryUsage();

  const start = scenario.timeline.start;
  let epoch = 0;
  const phase = async (from: number, to: number) => {
    const brokerCpu = brokerPid === undefined ? undefined : processUsage(brokerPid);
    const deviceCpu = totalUsage(devicePids);
    const elu = performance.eventLoopUtilization();
    const wall = performance.now();
    broker?.setEpoch(from, to);
    const result = await fleet.advance(epoch, from, to);
    epoch += 1;
    return {
      result,
      wallMs: performance.now() - wall,
      brokerCpuMs: brokerCpu === undefined || brokerPid === undefined ? undefined : processUsage(brokerPid).cpuMs - brokerCpu.cpuMs,
      deviceCpuMs: totalUsage(devicePids).cpuMs - deviceCpu.cpuMs,
      elu: options.external ? undefined : performance.eventLoopUtilization(elu).utilization,
    };
  };
  const snapshot = async (at: number) => {
    // Statistics come from the workers every couple of seconds of wall time; an epoch with nothing due fetches them.
    await sleep(2_100);
    broker?.setEpoch(at, at + 1);
    await fleet.advance(epoch, at, at + 1);
    epoch += 1;
    return stats.merged();
  };

  const connectPhase = await phase(start, start + 60_000);
  const afterConnects = await snapshot(start + 60_000);
  const connectedBefore = connectPhase.result.status.reduce((n, s) => n + s.connected, 0);
  // Memory with every device connected and idle, against the same processes before any device connected.
  const brokerConnected = brokerPid === undefined ? undefined : processUsage(brokerPid);
  const devicesConnected = totalUsage(devicePids);
  await sleep(options.holdSeconds * 1_000);
  // After the idle hold V8 has collected the handshakes' garbage: what the connected fleet itself holds.
  const brokerHeld = brokerPid === undefined ? undefined : processUsage(brokerPid);
  const devicesHeld = totalUsage(devicePids);
  const brokerHeapHeld = process.memoryUsage();
  broker?.setEpoch(start + 120_000, start + 180_000);
  const afterHold = await fleet.advance(epoch, start + 120_000, start + 180_000);
  epoch += 1;
  const holdCounters = await snapshot(start + 180_000);
  const rotationPhase = options.rotate ? await phase(start + 181_000, start + 3_600_000) : undefined;
  const final = options.rotate ? await snapshot(start + 3_600_000) : holdCounters;
  const brokerStats = broker?.stats();
  await fleet.stop();
  await broker?.close();

  const memoryPerDevice = (after: ProcessUsage | undefined, before: ProcessUsage | undefined) =>
    after && before && connectedBefore > 0 ? Math.round((after.rssBytes - before.rssBytes) / connectedBefore) : undefined;
  const brokerPerDevice = memoryPerDevice(brokerHeld, brokerIdle ?? brokerBefore);
  const devicePerDevice = memoryPerDevice(devicesHeld, devicesIdle) ?? 0;
  const brokerAfterStorm = memoryPerDevice(brokerConnected, brokerIdle ?? brokerBefore);
  const devicesAfterStorm = memoryPerDevice(devicesConnected, devicesIdle) ?? 0;
  return {
    devices,
    deviceProcesses: devicePids.length,
    workersPerProcess: options.workersPerProcess,
    concurrencyPerWorker: options.concurrency,
    manufactureMs: options.fleet.manufactureMs,
    bootMs,
    connects: measurement(afterConnects.counters.connectsSucceeded, sumValues(afterConnects.counters.connectFailures), connectPhase, afterConnects.connect),
    hold: {
      seconds: options.holdSeconds,
      connectedBefore,
      connectedAfter: afterHold.status.reduce((n, s) => n + s.connected, 0),
      // Any connect attempt after the storm means a session was lost while nothing was scheduled.
      reconnects: holdCounters.counters.connectAttempts - afterConnects.counters.connectAttempts,
      brokerConnected: brokerStats?.connected,
    },
    memory: {
      connectedDevices: connectedBefore,
      brokerBytesPerDevice: brokerPerDevice,
      deviceBytesPerDevice: devicePerDevice,
      totalBytesPerDevice: brokerPerDevice === undefined ? undefined : brokerPerDevice + devicePerDevice,
      brokerBreakdown:
        options.external || connectedBefore === 0
          ? undefined
          : {
              heapBytesPerDevice: Math.round((brokerHeapHeld.heapUsed - brokerHeapIdle.heapUsed) / connectedBefore),
              externalBytesPerDevice: Math.round((brokerHeapHeld.external - brokerHeapIdle.external) / connectedBefore),
              outsideHeapBytesPerDevice: Math.round((brokerHeapHeld.rss - brokerHeapHeld.heapTotal - (brokerHeapIdle.rss - brokerHeapIdle.heapTotal)) / connectedBefore),
            },
      afterStorm: {
        brokerBytesPerDevice: brokerAfterStorm,
        deviceBytesPerDevice: devicesAfterStorm,
        totalBytesPerDevice: brokerAfterStorm === undefined ? undefined : brokerAfterStorm + devicesAfterStorm,
      },
      note: 'resident memory (RSS) at the end of the idle hold with every device connected, less the same processes before the first connect (device keys and chains already loaded), per connected device; afterStorm: the same right after the connect storm',
    },
    rotations:
      rotationPhase &&
      measurement(
        final.counters.rotationsSucceeded,
        sumValues(final.counters.rotationsFailed),
        rotationPhase,
        final.rotation,
      ),
  };
}

function measurement(
  operations: number,
  failures: number,
  p: { wallMs: number; brokerCpuMs: number | undefined; deviceCpuMs: number; elu: number | undefined },
  latency: Histogram,
): PhaseMeasurement {
  const per = (ms: number | undefined) => (ms === undefined ? Number.NaN : Math.round((ms / Math.max(operations, 1)) * 100) / 100);
  return {
    operations,
    failures,
    wallMs: Math.round(p.wallMs),
    perSecond: Math.round((operations / p.wallMs) * 1000),
    cpuMsPerOperation: { broker: per(p.brokerCpuMs), devices: per(p.deviceCpuMs), total: per((p.brokerCpuMs ?? Number.NaN) + p.deviceCpuMs) },
    brokerEventLoopUtilization: p.elu === undefined ? undefined : Math.round(p.elu * 100) / 100,
    latencyMs: percentiles(latency),
  };
}
