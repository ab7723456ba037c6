import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startBrokerStack, type BrokerStack } from '../../broker/broker-stack.js';
import { REAL_BROKER_DIALECT } from '../../workers/broker-dialect.js';
import { brokerPlanOf } from '../plan/broker-plan.js';
import { planFleet, type FleetPlan } from '../plan/fleet-plan.js';
import { writeFileAtomically } from '../results/atomic-file.js';
import { buildManifest } from '../results/manifest.js';
import type { LiveCounts } from '../results/live-counts.js';
import { liveSnapshot } from '../results/metrics-snapshot.js';
import { FleetMetrics } from '../results/prometheus-metrics.js';
import { compactTime, prepareRunFolder } from '../results/run-folder.js';
import { SpaceReserve } from '../results/space-reserve.js';
import { RunRecorder } from '../results/run-recorder.js';
import { timelineMarkers, type TimelineMarker } from '../results/timeline-markers.js';
import type { OutputWriteError } from '../results/write-failure.js';
import type { HarnessRestart } from '../results/run-summary.js';
import { buildScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import { emptyBrokerStats } from '../stats/broker-stats.js';
import { manufactureDevices } from '../scenario-pki/device-factory.js';
import type { LoadedScenario } from '../scenario/load-scenario.js';
import { scenarioThresholds, type Threshold } from '../thresholds/define-threshold.js';
import type { JudgedRunSummary } from '../thresholds/evaluate-thresholds.js';
import { needsOrderedRun } from './ordered-run.js';
import { brokerInstanceCount } from './broker-instance-count.js';
import { brokerChoice, describeBrokerTarget } from './broker-choice.js';
import { checkPolicyModules } from './policy-module-check.js';
import { onlyDevices } from '../plan/only-devices.js';
import { coordinate, CoordinationFailure, type CoordinationResult, type EpochProgress } from './coordinator.js';
import { DeviceProcesses, fleetShardCount, type OnDeviceCrash } from './device-processes.js';
import type { DeviceRestart } from './device-slots.js';
import { UserInputError } from '../input/user-input-error.js';
import type { DeviceSlots } from './device-slots.js';
import { AgentRun, type OnAgentLoss } from './agents/agent-run.js';
import { serveMetrics, type MetricsServer } from './metrics-server.js';
import { advertisedBroker, brokerListening, checkListenable, listenChoice, type BrokerListening } from './broker-listener.js';
import { checkOpenFiles, openFilesLimit } from './open-files-budget.js';

/** How long the harness waits for a broker answer before it declares itself stalled (generous: busy CI machines). */
const HARNESS_GUARD_MS = 120_000;

/** What the run reports after every epoch: the coordinator's progress, the broker's counts and the recorder's. */
export type RunProgress = EpochProgress & { broker: ReturnType<BrokerStack['stats']>; live: LiveCounts };

export interface RunOptions {
  loaded: LoadedScenario;
  seed?: number | undefined;
  devices?: number | undefined;
  /**
   * Replay only these devices of the planned fleet (certfleet repro): the plan is made for the whole fleet, so each
   * keeps its cohort, profile, deliveries and randomness; only other devices, and their effect on the broker, are gone.
   */
  onlyDevices?: readonly string[] | undefined;
  /** Devices record the chains they were shown and their anchors in their connect events. */
  trace?: boolean | undefined;
  /** The run folder; default results/<scenario>-<time>-seed<seed>. */
  outDir?: string | undefined;
  /** Device worker threads over all device processes (default: CPU cores - 1, at least 1). */
  workers?: number | undefined;
  /** Child processes the device workers are spread over (default 1: every device outside the broker's process). */
  deviceProcesses?: number | undefined;
  concurrency?: number | undefined;
  /** A device process that dies mid-run ends the run ('stop', default) or is replaced, its devices rebooted ('restart'). */
  onDeviceCrash?: OnDeviceCrash | undefined;
  /** Told of each replaced device process. */
  onDeviceRestart?: ((restart: HarnessRestart) => void) | undefined;
  /**
   * The Redis server that joins the run's device agents and broker instances (`--redis redis://HOST:PORT`,
   * docs/distributed-runs.md). Without it a run is the single-machine run.
   */
  redis?: string | undefined;
  /** `--listen ADDRESS`: the address the broker listens on, instead of the scenario's broker.listen.address. */
  listen?: string | undefined;
  /** `--broker-port P`: the broker's port, instead of broker.listen.port (0: any free port). */
  brokerPort?: number | undefined;
  /** `--advertise HOST`: the address devices on other hosts dial, instead of broker.listen.advertise. */
  advertise?: string | undefined;
  /** Host the devices on this many agents joined through `redis` (certfleet agent) instead of child processes here. */
  agents?: number | undefined;
  /** How long to wait for the agents to join (default 60 s). */
  agentWaitMs?: number | undefined;
  /** An agent lost mid-run ends the run ('stop', default) or its slots go to a surviving agent ('reassign'). */
  onAgentLoss?: OnAgentLoss | undefined;
  /** `--broker-instances B`: the embedded broker as B processes joined through `redis` (else broker.instances). */
  brokerInstances?: number | undefined;
  /** Thresholds evaluated in addition to the scenario's (the command line's --threshold). */
  thresholds?: readonly Threshold[] | undefined;
  signal?: AbortSignal | undefined;
  onStage?: ((stage: string) => void) | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
  /** Serve Prometheus metrics at http://127.0.0.1:<port>/metrics while the run goes on (0: any free port). */
  metricsPort?: number | undefined;
  /** The metrics URL, once the server listens. */
  onMetricsServing?: ((url: string) => void) | undefined;
}

export interface RunOutcome {
  dir: string;
  summary: JudgedRunSummary;
  /** The first file of the run folder that could not be written (a full disk): the run stopped there. */
  outputFailure?: OutputWriteError | undefined;
}

/**
 * One run: plan the fleet, build the PKI, manufacture the devices, start the broker and the device workers, carry
 * out the plan, and write the run folder with the thresholds evaluated. Whatever stops the run (the end of the
 * timeline, Ctrl-C, a failure), the folder ends with a readable summary; a folder that cannot take the run is refused
 * up front (RunFolderError), and one that stops taking writes (a full disk) stops the run with its files valid.
 */
export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const { scenario } = options.loaded;
  const seed = options.seed ?? scenario.seed;
  const started = new Date();
  let brokerTarget = describeBrokerTarget(options.loaded);
  // Refused before anything is written: instances that cannot be had are bad input.
  const brokerInstances = brokerInstanceCount(options.loaded, options.brokerInstances, options.redis);
  const plan = onlyDevices(planFleet(scenario, { seed, devices: options.devices }), options.onlyDevices);
  await checkPolicyModules(options.loaded, plan, seed, options);
  const thresholds = [...scenarioThresholds(scenario), ...(options.thresholds ?? [])];
  // An ordered run (limits, shared identities) goes through one worker: one sequence of actions for the whole
  // fleet, so who is refused or waits is the same on every run.
  const ordered = needsOrderedRun(scenario);
  const workers = ordered ? 1 : (options.workers ?? Math.max(1, availableParallelism() - 1));
  const deviceProcesses = Math.max(1, Math.min(options.deviceProcesses ?? 1, workers));
  const dir = options.outDir ?? join('results', `${scenario.name}-${compactTime(started)}-seed${seed}`);
  const listen = listenChoice(options.loaded, { listen: options.listen, port: options.brokerPort, advertise: options.advertise });
  // An address this host does not have, or a port in use: bad input (ListenAddressError), before anything is written.
  if (scenario.broker.target !== 'external') await checkListenable(listen);
  // A placement whose processes cannot hold the fleet's sockets is refused before anything is written.
  checkOpenFiles({ devices: plan.devices.length, deviceProcesses: options.agents === undefined ? deviceProcesses : undefined, brokerProcesses: scenario.broker.target === 'embedded' ? brokerInstances.instances : 0, limit: openFilesLimit() });
  await prepareRunFolder(dir);
  // The agents join before anything is written: a run whose agents do not all come leaves an empty folder.
  const agentRun = await joinAgents(options, plan, ordered);
  // Before anything is written: a port that cannot be bound is bad input (MetricsServerError), not a failed run.
  const cohorts = scenario.fleet.cohorts.map((c, i) => ({ name: c.name, devices: plan.devices.filter((d) => d.cohort === i).length }));
  const metrics = options.metricsPort === undefined ? undefined : new FleetMetrics({ scenario: scenario.name, seed });
  const metricsServer: MetricsServer | undefined = metrics && (await serveMetrics(options.metricsPort ?? 0, metrics).catch(async (error: unknown) => {
    await agentRun?.end();
    throw error;
  }));
  if (metricsServer) options.onMetricsServing?.(metricsServer.url);
  const manifest = buildManifest({
    scenarioName: scenario.name,
    scenarioFile: options.loaded.file,
    scenarioSha256: options.loaded.sha256,
    broker: brokerTarget,
    timelineStart: scenario.timeline.startsNow ? scenario.timeline.start : undefined,
    seed,
    devices: plan.devices.length,
    workers: agentRun?.shards ?? workers,
    deviceProcesses: agentRun?.slots ?? deviceProcesses,
    startedAt: started,
  });
  // Which agent hosts which shards and devices (names, hosts): a reassignment mid-run is told in harness.restarts.
  if (agentRun) manifest.agents = agentRun.placements();
  try {
    await writeFileAtomically(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    await metricsServer?.close();
    await agentRun?.end();
    throw error;
  }

  // A run folder that stops taking writes (a full disk) stops the run after the current epoch, like Ctrl-C does;
  // the space reserved now is given back for the summary.
  const reserve = await SpaceReserve.claim(dir);
  const outputStopped = new AbortController();
  const recorder = new RunRecorder(dir, plan, (error) => outputStopped.abort(error));
  const signal = options.signal ? AbortSignal.any([options.signal, outputStopped.signal]) : outputStopped.signal;
  let markers: TimelineMarker[] = [];
  const wallStart = performance.now();
  let broker: BrokerStack | undefined;
  let fleet: DeviceSlots | undefined;
  let result: CoordinationResult | undefined;
  let interruption: string | undefined;
  const restarts: HarnessRestart[] = [];
  try {
    options.onStage?.('building the PKI');
    const pki = buildScenarioPki(scenario, seed);
    markers = timelineMarkers(scenario, pki);
    options.onStage?.(`manufacturing ${plan.devices.length} devices`);
    const credentials = manufactureDevices(plan, pki);
    options.onStage?.('starting the broker');
    const workersPerProcess = Math.ceil(workers / deviceProcesses);
    const shards = agentRun?.shards ?? fleetShardCount(deviceProcesses, workersPerProcess, plan.devices.length);
    const brokerConfig = brokerConfigFrom(scenario, pki, seed, { shards, ...brokerPlanOf(plan) });
    brokerConfig.listen = { host: listen.address, port: listen.port };
    broker = await startBrokerStack(brokerConfig, brokerChoice(options.loaded, credentials, brokerInstances), recorder.onEvent);
    // Devices on this host dial `dial`; device agents on other hosts are told `advertise`.
    const listening: BrokerListening | undefined = scenario.broker.target === 'external' ? undefined : brokerListening(listen, broker);
    // What the broker says of itself once it runs (Mosquitto's version), and where it listens: the manifest tells it too.
    brokerTarget = { ...broker.describe(), ...(listening ? { listen: listening } : {}) };
    await writeFileAtomically(join(dir, 'manifest.json'), `${JSON.stringify({ ...manifest, broker: brokerTarget }, null, 2)}\n`);
    options.onStage?.(
      agentRun
        ? `starting ${agentRun.shards} device worker${agentRun.shards === 1 ? '' : 's'} on ${agentRun.slots} agent${agentRun.slots === 1 ? '' : 's'}`
        : `starting ${workers} device worker${workers === 1 ? '' : 's'} in ${deviceProcesses} process${deviceProcesses === 1 ? '' : 'es'}`,
    );
    const dialled = { host: broker.host, port: broker.port, instances: broker.instances?.addresses };
    const hosting = {
      plan,
      pki,
      credentials,
      // Devices dial the target's address; the name they check and send in SNI stays the scenario's (broker.host,
      // or their cohort's connectivity.host), as a device dials an address DNS gave it for that name.
      // Agents on other hosts are told the advertised address (broker/listen-address.ts), for every instance: never
      // this host's loopback for a broker on 0.0.0.0.
      broker: agentRun && listening ? advertisedBroker(dialled, listening.advertise) : dialled,
      processes: deviceProcesses,
      workersPerProcess,
      shardOptions: {
        concurrency: options.concurrency ?? 64,
        ordered,
        trace: options.trace,
        // Harness guards, not simulated outcomes: a broker on loopback answers in milliseconds, so only a stalled
        // harness reaches them, and the run then ends as a harness failure (HarnessStalledError).
        connectTimeoutMs: HARNESS_GUARD_MS,
        rotationTimeoutMs: HARNESS_GUARD_MS,
        // A real broker reads no time claim and says no more than a TLS alert or a CONNACK code.
        ...(scenario.broker.target === 'embedded' ? {} : { dialect: REAL_BROKER_DIALECT }),
      },
      onEvents: recorder.onEvents,
      onStats: recorder.onStats,
      onRestart: (restart: DeviceRestart) => {
        const record = { t: restart.at, process: restart.process, devices: restart.devices, reason: restart.reason, replacement: restart.replacement };
        restarts.push(record);
        options.onDeviceRestart?.(record);
      },
    };
    fleet = agentRun
      ? await agentRun.startFleet({ ...hosting, onLoss: options.onAgentLoss ?? 'stop' })
      : await DeviceProcesses.start({ ...hosting, processes: deviceProcesses, workersPerProcess, onCrash: options.onDeviceCrash });
    options.onStage?.('running');
    const liveBroker = broker;
    result = await coordinate({
      plan,
      broker: liveBroker,
      fleet,
      signal,
      onEpoch: (progress) => {
        recorder.reached(progress.t);
        const update = { ...progress, broker: liveBroker.stats(), live: recorder.live() };
        metrics?.observe(liveSnapshot({ ...update, cohorts }));
        options.onProgress?.(update);
      },
    });
    if (options.signal?.aborted) interruption = 'interrupted';
    // A process that died after the last epoch took its final statistics with it: the run did not end cleanly.
    if (fleet.failure) interruption = fleet.failure.message;
  } catch (error) {
    // What the run really reached before the failure (a device process that died), not the timeline's start.
    if (error instanceof CoordinationFailure) result = error.partial;
    interruption = (error as Error).message;
  } finally {
    await fleet?.stop().catch(() => undefined);
    await agentRun?.end();
    await broker?.close().catch(() => undefined);
    await metricsServer?.close();
  }
  const instances = broker?.instances?.report();
  if (instances) await writeFileAtomically(join(dir, 'broker-instances.json'), `${JSON.stringify(instances, null, 2)}\n`).catch(() => undefined);

  if (recorder.failure) interruption = recorder.failure.message;
  await reserve.release();
  const summary = await recorder.finish({
    complete: interruption === undefined,
    interruption,
    scenario,
    seed,
    devices: plan.devices.length,
    cohortSizes: scenario.fleet.cohorts.map((_, i) => plan.devices.filter((d) => d.cohort === i).length),
    reached: result?.reached ?? scenario.timeline.start,
    wallMs: performance.now() - wallStart,
    epochs: result?.epochs ?? 0,
    broker: broker?.stats() ?? emptyBrokerStats(),
    brokerTarget,
    availability: result?.availability ?? [],
    markers,
    audits: result?.audits ?? [],
    auditSettings: scenario.audits,
    harness: { speed: scenario.timeline.speed, ...(result?.harness ?? { lateEpochs: 0, maxLagMs: 0, finalLagMs: 0 }), restarts },
    deliveries: result?.deliveries ?? { pushed: 0, queued: 0 },
  }, thresholds);
  return { dir, summary, outputFailure: recorder.failure };
}

/** With --agents: the Redis connection and the agents claimed, or AgentsMissingError naming who did not come. */
async function joinAgents(options: RunOptions, plan: FleetPlan, ordered: boolean): Promise<AgentRun | undefined> {
  if (options.agents === undefined) return undefined;
  if (options.redis === undefined) throw new UserInputError('--agents', ['needs --redis redis://HOST:PORT, the Redis server the agents registered with']);
  options.onStage?.(`waiting for ${options.agents} agent${options.agents === 1 ? '' : 's'} at ${options.redis}`);
  return AgentRun.join({ url: options.redis, agents: options.agents, waitMs: options.agentWaitMs ?? 60_000, plan, ordered, signal: options.signal });
}
