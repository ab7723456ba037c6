/**
 * Devices connected at once: a whole fleet connects in one storm over the placement's broker instances and device
 * hosts, holds its sessions for a minute of wall time with nothing scheduled, and must come out of it with no
 * reconnect and no failure. Also what each end holds per connected device (resident memory), how close every process
 * came to its open-files limit, and what planning and manufacturing a fleet of this size cost.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serialize } from 'node:v8';
import type { FleetPlan } from '../sim/plan/fleet-plan.js';
import { percentiles } from '../sim/results/run-summary.js';
import { sumValues } from '../sim/stats/fleet-counters.js';
import { startBenchPlacement, type BenchPlacement } from './bench-placement.js';
import { fleetCapacity } from './fleet-capacity.js';
import { manufactureBenchFleet, type BenchFleet } from './fleet-bench.js';
import { availableMemoryBytes, type BenchMachine } from './machine-settings.js';
import { openFiles } from './open-files.js';
import { totalUsage } from './process-usage.js';
import { StatsTally } from './stats-tally.js';

export interface ScaleBenchOptions {
  devices: number;
  brokerInstances: number;
  deviceHosts: number;
  /** The device hosts are agents joined through Redis rather than device processes. */
  agents: boolean;
  /** Connects in flight per device worker. */
  concurrency: number;
  holdSeconds: number;
  machine: BenchMachine;
  log: (line: string) => void;
}

const MiB = 2 ** 20;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Every device connects at the timeline's start; its certificate is renewed only half an hour later. */
export async function measureScale(options: ScaleBenchOptions) {
  const capacity = fleetCapacity(options.devices, options.brokerInstances, options.deviceHosts, options.machine);
  const settings = { devices: options.devices, brokerInstances: options.brokerInstances, deviceHosts: options.deviceHosts, deviceHostsAre: options.agents ? 'agents' : 'device processes', workersPerDeviceHost: 1, concurrencyPerWorker: options.concurrency, holdSeconds: options.holdSeconds };
  if (capacity.problems.length > 0) return { settings, capacity, measured: false as const, stoppedBy: capacity.problems.join('; ') };

  const memoryAtStart = availableMemoryBytes();
  options.log(`planning and manufacturing ${options.devices} devices`);
  const began = performance.now();
  const fleet = manufactureBenchFleet(options.devices);
  const preparation = {
    planAndPkiMs: Math.round(performance.now() - began - fleet.manufactureMs),
    manufactureMs: fleet.manufactureMs,
    certificatesPerSecond: Math.round((options.devices / Math.max(fleet.manufactureMs, 1)) * 1000),
    ...messageSizes(fleet, options.deviceHosts),
  };
  const tally = new StatsTally();
  const sampler = new ProcessSampler();
  let placement: BenchPlacement | undefined;
  let reached: Record<string, unknown> = {};
  try {
    options.log(`starting ${options.brokerInstances} broker instance(s) and ${options.deviceHosts} ${options.agents ? 'agent(s)' : 'device process(es)'}`);
    const bootStarted = performance.now();
    placement = await startBenchPlacement({ fleet, brokerInstances: options.brokerInstances, deviceHosts: options.deviceHosts, agents: options.agents, concurrency: options.concurrency, onStats: tally.onStats });
    const live = placement;
    const bootMs = Math.round(performance.now() - bootStarted);
    const idle = { broker: totalUsage(live.brokerPids()), devices: totalUsage(live.devicePids()) };
    sampler.sample(live);
    reached = { bootMs };
    let stormMost = 0;

    const start = fleet.plan.scenario.timeline.start;
    let epoch = 0;
    const advance = async (from: number, to: number) => {
      await live.setEpoch(from, to);
      const result = await live.advance(epoch, from, to);
      epoch += 1;
      return result.status.reduce((n, s) => n + s.connected, 0);
    };
    // Statistics come from the device workers every couple of seconds of wall time; an empty epoch fetches them.
    const counters = async (at: number) => {
      await sleep(2_100);
      await advance(at, at + 1);
      return tally.merged();
    };

    options.log(`connect storm: ${options.devices} devices`);
    const stormStarted = performance.now();
    const cpuBefore = { broker: totalUsage(live.brokerPids()).cpuMs, devices: totalUsage(live.devicePids()).cpuMs };
    // Sockets the device side opened since it was idle, dialled or connected: progress in the log, and how far a
    // storm that failed had come.
    const idleSockets = live.devicePids().reduce((n, pid) => n + openFiles(pid), 0);
    const progress = setInterval(() => {
      const now = live.devicePids().reduce((n, pid) => n + openFiles(pid), 0) - idleSockets;
      stormMost = Math.max(stormMost, now);
      reached.stormDeviceSocketsMost = stormMost;
      sampler.sample(live);
      options.log(`connect storm: ${now} device sockets open after ${Math.round((performance.now() - stormStarted) / 1000)} s`);
    }, 15_000);
    const connected = await advance(start, start + 60_000).finally(() => clearInterval(progress));
    const stormMs = performance.now() - stormStarted;
    const cpu = { broker: totalUsage(live.brokerPids()).cpuMs - cpuBefore.broker, devices: totalUsage(live.devicePids()).cpuMs - cpuBefore.devices };
    const afterStorm = await counters(start + 60_000);
    sampler.sample(live);
    const storm = {
      connected,
      connectsSucceeded: afterStorm.counters.connectsSucceeded,
      connectFailures: afterStorm.counters.connectFailures,
      wallMs: Math.round(stormMs),
      perSecond: Math.round((afterStorm.counters.connectsSucceeded / stormMs) * 1000),
      cpuMsPerConnect: { broker: round(cpu.broker / Math.max(connected, 1)), devices: round(cpu.devices / Math.max(connected, 1)) },
      latencyMs: percentiles(afterStorm.connect),
    };
    reached = { bootMs, storm };

    options.log(`holding ${connected} sessions for ${options.holdSeconds} s`);
    const heldFrom = performance.now();
    let brokerLeast = live.brokerConnected();
    while (performance.now() - heldFrom < options.holdSeconds * 1000) {
      await sleep(Math.min(5_000, Math.max(0, options.holdSeconds * 1000 - (performance.now() - heldFrom))));
      brokerLeast = Math.min(brokerLeast, live.brokerConnected());
      sampler.sample(live);
    }
    const held = { broker: totalUsage(live.brokerPids()), devices: totalUsage(live.devicePids()) };
    const connectedAfter = await advance(start + 120_000, start + 180_000);
    const afterHold = await counters(start + 180_000);
    const hold = {
      seconds: options.holdSeconds,
      connectedBefore: connected,
      connectedAfter,
      brokerSessionsLeast: brokerLeast,
      // Any connect attempt after the storm means a session was lost while nothing was scheduled.
      reconnects: afterHold.counters.connectAttempts - afterStorm.counters.connectAttempts,
      failures: sumValues(afterHold.counters.connectFailures),
    };
    const perDevice = (after: number, before: number) => Math.round((after - before) / Math.max(connected, 1));
    const broker = perDevice(held.broker.rssBytes, idle.broker.rssBytes);
    const devices = perDevice(held.devices.rssBytes, idle.devices.rssBytes);
    const memory = {
      connectedDevices: connected,
      brokerBytesPerDevice: broker,
      deviceBytesPerDevice: devices,
      totalBytesPerDevice: broker + devices,
      brokerRssMiB: round(held.broker.rssBytes / MiB, 0),
      devicesRssMiB: round(held.devices.rssBytes / MiB, 0),
      note: 'resident memory (RSS, /proc) of every broker process and every device process at the end of the hold, less the same processes before the first connect (device keys and chains loaded), per connected device',
    };
    return {
      settings,
      placement: live.description,
      capacity,
      preparation,
      bootMs,
      storm,
      hold,
      memory,
      openFiles: sampler.peaks(),
      memoryAvailableMiB: { atStart: mib(memoryAtStart), least: mib(sampler.leastAvailable) },
      measured: true as const,
      // Held: connected after the hold with no session lost during it; failed connects are counted apart (hold.failures).
      connectedAtOnce: hold.reconnects === 0 ? connectedAfter : 0,
    };
  } catch (error) {
    // What stopped the fleet (a process out of memory or files, a stalled harness), and what it had reached by then.
    return { settings, placement: placement?.description, capacity, preparation, ...reached, brokerSessionsMost: brokerMost(placement), openFiles: sampler.peaks(), memoryAvailableMiB: { atStart: mib(memoryAtStart), least: mib(sampler.leastAvailable) }, measured: false as const, stoppedBy: (error as Error).message };
  } finally {
    await placement?.stop().catch(() => undefined);
  }
}

/** The sessions the broker side holds as the bench gives up (what a failed storm had reached), if it still answers. */
function brokerMost(placement: BenchPlacement | undefined): number | undefined {
  try {
    return placement?.brokerConnected();
  } catch {
    return undefined;
  }
}

const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : Math.round(bytes / MiB));

/** What crosses to the device hosts at start: the plan goes to every host, each host's credentials to it alone. */
function messageSizes(fleet: BenchFleet, hosts: number): { planBytesPerHost: number; credentialBytesPerHost: number; devicesPlanned: number } {
  const plan: FleetPlan = fleet.plan;
  const credentials = serialize(fleet.credentials).length;
  return { planBytesPerHost: serialize(plan).length, credentialBytesPerHost: Math.round(credentials / Math.max(hosts, 1)), devicesPlanned: plan.devices.length };
}

/** The most files each side's busiest process held open, and the least memory the machine had left, over the run. */
class ProcessSampler {
  #broker = 0;
  #devices = 0;
  leastAvailable: number | undefined;

  sample(placement: BenchPlacement): void {
    this.#broker = Math.max(this.#broker, ...placement.brokerPids().map(openFiles));
    this.#devices = Math.max(this.#devices, ...placement.devicePids().map(openFiles));
    const available = availableMemoryBytes();
    if (available !== undefined) this.leastAvailable = Math.min(this.leastAvailable ?? Infinity, available);
  }

  peaks(): { brokerProcessMost: number; deviceProcessMost: number } {
    return { brokerProcessMost: this.#broker, deviceProcessMost: this.#devices };
  }
}
