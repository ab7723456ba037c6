/**
 * One placement of the same fleet through `runScenario` (what `certfleet run` does): a connect storm in the first
 * epoch, a rotation storm in the second, then epochs in which nothing is due, which cost only the coordination (the
 * coordinator's round trip to every device host and broker instance). Wall and CPU per phase, the CPU read from
 * /proc for every process of the run (this one and all below it: device hosts, broker instances, the Redis server
 * that joins instances and agents, and the agents, which this process starts).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runScenario } from '../sim/run/run-scenario.js';
import { loadScenario } from '../sim/scenario/load-scenario.js';
import { startBenchAgents } from './bench-agents.js';
import { startRedisServer } from './redis-server.js';
import { descendantProcesses } from './child-processes.js';
import { CpuTally } from './cpu-tally.js';
import { benchScenario } from './fleet-bench.js';

/** Where the fleet runs: its device hosts and broker instances. */
export interface OverheadPlacement {
  /** Device processes (`--device-processes`) or agents (`--agents`), one worker thread each. */
  deviceHosts: number;
  /** The hosts are agents joined through Redis; without, device processes of the coordinator. */
  agents: boolean;
  brokerInstances: number;
}

export interface OverheadRunOptions extends OverheadPlacement {
  devices: number;
  emptyEpochs: number;
  concurrency: number;
  log: (line: string) => void;
}

const START = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** The scenario every placement runs: storm at the start, renewals 30 minutes in, then one empty epoch a minute from 2 h. */
export function overheadScenario(devices: number, emptyEpochs: number): string {
  const emptyEpochsAt = Array.from({ length: emptyEpochs }, (_, i) => START + 120 * MINUTE + i * MINUTE);
  return benchScenario(devices, START, { step: '10m', end: START + 120 * MINUTE + (emptyEpochs + 1) * MINUTE, emptyEpochsAt });
}

export async function measureOverhead(options: OverheadRunOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-overhead-'));
  // Broker instances and agents are joined through Redis; one broker and device processes run as today, without it.
  const redis = options.brokerInstances > 1 || options.agents ? await startRedisServer({ stopSignal: 'SIGTERM' }) : undefined;
  const agents = options.agents && redis ? startBenchAgents(redis.url, options.deviceHosts) : undefined;
  try {
    const file = join(dir, 'bench-overhead.yaml');
    writeFileSync(file, overheadScenario(options.devices, options.emptyEpochs));
    const loaded = loadScenario(file);
    const cpu = new CpuTally(() => [process.pid, ...descendantProcesses(process.pid)]);
    // After each epoch: when it ended (wall) and the CPU used so far; the first entry is the start of the first epoch.
    const marks: { wall: number; cpuMs: number }[] = [];
    const mark = () => {
      cpu.sample();
      marks.push({ wall: performance.now(), cpuMs: cpu.ms });
    };
    const { summary } = await runScenario({
      loaded,
      seed: 1,
      workers: options.deviceHosts,
      deviceProcesses: options.deviceHosts,
      concurrency: options.concurrency,
      redis: redis?.url,
      brokerInstances: options.brokerInstances,
      agents: options.agents ? options.deviceHosts : undefined,
      outDir: join(dir, 'run'),
      onStage: (stage) => {
        if (stage === 'running') mark();
      },
      onProgress: mark,
    });
    if (!summary.complete) throw new Error(`the run did not complete: ${summary.interruption ?? 'unknown reason'}`);
    const phase = (epoch: number) => {
      const from = marks[epoch];
      const to = marks[epoch + 1];
      return from && to ? { wallMs: to.wall - from.wall, cpuMs: to.cpuMs - from.cpuMs } : { wallMs: Number.NaN, cpuMs: Number.NaN };
    };
    const storm = phase(0);
    const rotation = phase(1);
    const empty = Array.from({ length: marks.length - 3 }, (_, i) => phase(i + 2));
    // The storm's connects: every dial is a connect attempt (docs/architecture.md, "Counting connects"), so the
    // reconnect that ends each successful rotation is taken off here and counted with the rotation.
    const connects = summary.connects.attempted - summary.rotations.succeeded;
    const rotations = summary.rotations.succeeded;
    return {
      ...placementOf(options),
      measured: true as const,
      connects: {
        count: connects,
        perSecond: round((connects / storm.wallMs) * 1000, 1),
        cpuMsPerConnect: round(storm.cpuMs / Math.max(connects, 1)),
        wallMs: Math.round(storm.wallMs),
      },
      rotations: {
        count: rotations,
        failed: summary.rotations.failed,
        perSecond: round((rotations / rotation.wallMs) * 1000, 1),
        cpuMsPerRotation: round(rotation.cpuMs / Math.max(rotations, 1)),
        wallMs: Math.round(rotation.wallMs),
      },
      emptyEpochs: {
        count: empty.length,
        wallMsMedian: round(median(empty.map((e) => e.wallMs))),
        // /proc counts CPU in 10 ms ticks: the mean over all of them, not a median of a few ticks each.
        cpuMsMean: round(empty.reduce((n, e) => n + e.cpuMs, 0) / Math.max(empty.length, 1)),
      },
      epochs: summary.wall.epochs,
      failuresByCause: Object.fromEntries(Object.entries(summary.failures.byCause).map(([cause, tally]) => [cause, tally.count])),
      eventBytesPerDevice: Math.round(statSync(join(dir, 'run', 'events.ndjson')).size / options.devices),
    };
  } finally {
    await agents?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function placementOf(options: OverheadPlacement) {
  return { deviceHosts: options.deviceHosts, agents: options.agents, brokerInstances: options.brokerInstances };
}
