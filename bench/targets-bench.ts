/**
 * The same short scenario run through `runScenario` once against each broker target (the embedded Aedes broker and
 * the `mosquitto` target: a real Mosquitto under libfaketime, the CA and rotation service answering through it), same
 * seed, same workers: connects and rotations per wall second, CPU per connect on the device side, and what the
 * Mosquitto clock's precision costs in epochs and wall time per epoch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BrokerTargetName } from '../sim/scenario/broker-target-schema.js';
import { runScenario } from '../sim/run/run-scenario.js';
import { loadScenario } from '../sim/scenario/load-scenario.js';
import { childProcesses } from './child-processes.js';
import { CpuTally } from './cpu-tally.js';

const DAY = 86_400_000;

export interface TargetsBenchOptions {
  scenario: string;
  devices: number;
  days: number;
  seed: number;
  workers: number;
  targets: readonly BrokerTargetName[];
  log: (line: string) => void;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function measureTarget(options: TargetsBenchOptions, target: BrokerTargetName) {
  const file = fileURLToPath(new URL(`../../scenarios/${options.scenario}.yaml`, import.meta.url));
  const loaded = loadScenario(file, { target });
  const timeline = loaded.scenario.timeline;
  const end = Math.min(timeline.end, timeline.start + options.days * DAY);
  const shortened = { ...loaded, scenario: { ...loaded.scenario, timeline: { ...timeline, end } } };
  const dir = mkdtempSync(join(tmpdir(), `certfleet-targets-${target}-`));
  // CPU from the moment every device process has booted (keys and chains loaded) to the last epoch.
  const devices = new CpuTally(() => childProcesses(process.pid, 'device-process.js'));
  const mosquitto = new CpuTally(() => childProcesses(process.pid, 'mosquitto'));
  const main = new CpuTally(() => [process.pid]);
  const sampleAll = () => [devices, mosquitto, main].forEach((t) => t.sample());
  let runningSince: number | undefined;
  let lastEpochAt: number | undefined;
  try {
    const { summary } = await runScenario({
      loaded: shortened,
      seed: options.seed,
      devices: options.devices,
      workers: options.workers,
      outDir: dir,
      onStage: (stage) => {
        if (stage !== 'running') return;
        sampleAll();
        runningSince = performance.now();
      },
      onProgress: () => {
        sampleAll();
        lastEpochAt = performance.now();
      },
    });
    if (!summary.complete) throw new Error(`the ${target} run did not complete: ${summary.interruption ?? 'unknown reason'}`);
    const runningSeconds = ((lastEpochAt ?? 0) - (runningSince ?? 0)) / 1000;
    const connects = summary.connects.attempted;
    // Every mutual-TLS connect the devices made: their connect attempts and the reconnect that ends each rotation.
    const handshakes = connects + summary.rotations.succeeded;
    const epochs = summary.wall.epochs;
    const perConnect = (ms: number) => round(ms / Math.max(handshakes, 1));
    return {
      target: summary.broker.target,
      connects: { attempted: connects, succeeded: summary.connects.succeeded, perSecond: round(connects / Math.max(runningSeconds, 1e-9), 1), latencyMs: summary.connects.latencyMs },
      rotations: { succeeded: summary.rotations.succeeded, failed: summary.rotations.failed, perSecond: round(summary.rotations.succeeded / Math.max(runningSeconds, 1e-9), 1) },
      handshakes,
      cpuMsPerConnect: {
        devices: perConnect(devices.ms),
        mainProcess: perConnect(main.ms),
        mosquitto: target === 'mosquitto' ? perConnect(mosquitto.ms) : undefined,
      },
      epochs,
      runningSeconds: round(runningSeconds),
      wallMsPerEpoch: round((runningSeconds * 1000) / Math.max(epochs, 1)),
      wholeRunSeconds: summary.wall.seconds,
      failuresByCause: summary.failures.byCause,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Failures per cause, without what only one target can say (the alert a cause was inferred from). */
function causeCounts(byCause: Record<string, { count: number }>): Record<string, number> {
  return Object.fromEntries(Object.entries(byCause).map(([cause, tally]) => [cause, tally.count]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}

type TargetRun = Awaited<ReturnType<typeof measureTarget>>;

/**
 * Each target in turn on the same scenario, seed, fleet size and workers, then what the mosquitto target's clock
 * precision costs beside the embedded broker: its epochs per embedded epoch and the throughput it keeps.
 */
export async function measureTargets(options: TargetsBenchOptions) {
  const runs: Partial<Record<BrokerTargetName, TargetRun | { measured: false; reason: string }>> = {};
  for (const target of options.targets) {
    options.log(`targets: ${options.scenario}, ${options.devices} devices, ${options.days} simulated days, against ${target}`);
    runs[target] = await measureTarget(options, target).catch((error: unknown) => ({ measured: false as const, reason: (error as Error).message }));
  }
  const embedded = runs.embedded;
  const mosquitto = runs.mosquitto;
  const clockPrecision =
    embedded && mosquitto && 'epochs' in embedded && 'epochs' in mosquitto
      ? {
          epochs: { embedded: embedded.epochs, mosquitto: mosquitto.epochs, ratio: round(mosquitto.epochs / Math.max(embedded.epochs, 1)) },
          wallMsPerEpoch: { embedded: embedded.wallMsPerEpoch, mosquitto: mosquitto.wallMsPerEpoch },
          connectsPerSecondRatio: round(mosquitto.connects.perSecond / Math.max(embedded.connects.perSecond, 1e-9)),
          rotationsPerSecondRatio: round(mosquitto.rotations.perSecond / Math.max(embedded.rotations.perSecond, 1e-9)),
          // The same story on both (issue 10): the bench measures the same work on each target, or says it did not.
          sameCounts:
            embedded.connects.attempted === mosquitto.connects.attempted &&
            embedded.rotations.succeeded === mosquitto.rotations.succeeded &&
            JSON.stringify(causeCounts(embedded.failuresByCause)) === JSON.stringify(causeCounts(mosquitto.failuresByCause)),
          note: 'mosquitto against embedded on the same run of the scenario: Mosquitto has one clock reading per epoch, so the coordinator ends an epoch at every validity bound of a certificate it judges (docs/mosquitto-target.md); the embedded broker judges each connect at its own simulated time and ends epochs only at the timeline step',
        }
      : { measured: false, reason: 'both targets must have run' };
  return {
    how: {
      scenario: `scenarios/${options.scenario}.yaml, timeline cut to its first ${options.days} simulated days`,
      devices: options.devices,
      seed: options.seed,
      workers: options.workers,
      deviceProcesses: 1,
      placement: 'runScenario as certfleet run does: broker stack (embedded Aedes, or Mosquitto under libfaketime with the backend as its MQTT client) and backend in the main process; devices in one child process',
      connects: 'connect attempts of the run (summary connects.attempted), per wall second from the first to the last epoch (PKI, manufacturing and boot excluded)',
      rotations: 'rotations that succeeded (summary rotations.succeeded), per the same wall second',
      handshakes: 'connect attempts plus succeeded rotations (each rotation ends with a full mutual-TLS reconnect): the divisor of CPU per connect',
      cpuMsPerConnect: 'CPU (user + system, /proc) per handshake over the same span: devices = the device child process (its share includes rotation key generation and CSRs); mainProcess = the harness process (backend, CA, coordinator, recorder, and the broker itself for embedded); mosquitto = the Mosquitto process',
      wallMsPerEpoch: 'wall time from the first to the last epoch over the epochs of the run',
    },
    ...runs,
    clockPrecision,
  };
}
