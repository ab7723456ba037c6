import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { UserInputError } from '../input/user-input-error.js';
import { brokerConfigFrom, type TimeClaims } from '../../broker/broker-config.js';
import { startBrokerStack, type BrokerChoice, type BrokerStack } from '../../broker/broker-stack.js';
import { faketimeTimestamp, writeFaketimeClock } from '../../broker/mosquitto/faketime-clock.js';
import { findMosquittoPrograms } from '../../broker/mosquitto/mosquitto-programs.js';
import type { FleetEvent } from '../events/fleet-event.js';
import { brokerPlanOf } from '../plan/broker-plan.js';
import { planFleet, type FleetPlan } from '../plan/fleet-plan.js';
import { DecisionLog } from '../results/decision-log.js';
import { prepareRunFolder } from '../results/run-folder.js';
import { readCaFolder, writeCaFolder } from '../export/ca-folder.js';
import { cohortAnchorsPem } from '../export/cohort-anchors.js';
import { exportDeviceCredentials, type DeviceToExport, type ExportedDevice } from '../export/credential-export.js';
import { buildScenarioPki, type ScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import { manufactureDevices, type FactoryCredentials } from '../scenario-pki/device-factory.js';
import type { LoadedScenario } from '../scenario/load-scenario.js';
import { writeBrokerJson, type BrokerJson } from './broker-json.js';
import { describeClock, serveClockControl, type ClockControl, type ControlledClock } from './clock-control.js';
import type { ClockMove } from './clock-move.js';
import { LiveClock, type ClockState, type WallClock } from './live-clock.js';
import { TimelineFollower } from './timeline-follower.js';

export interface StandaloneBrokerOptions {
  loaded: LoadedScenario;
  /** The export folder: new or empty. */
  dir: string;
  /** A CA folder an earlier session exported (DIR or DIR/ca): its CA is reused, so credentials it issued stay valid. */
  ca?: string | undefined;
  seed?: number | undefined;
  /** Device identities planned from the scenario's cohorts, with their real ids. */
  devices: number;
  /** The simulated time the clock starts at (default: the timeline's start) and its rate (0: frozen). */
  at?: number | undefined;
  speed: number;
  /** The address the broker listens on (default 127.0.0.1; 0.0.0.0 or :: for every address of the host). */
  listen?: string | undefined;
  /** The broker's port (0: any free port). */
  port: number;
  timeClaims: TimeClaims;
  /** How often the broker follows a running clock, in wall ms (default 250). */
  tickMs?: number | undefined;
  wall?: WallClock | undefined;
  /** One line per decision (the log's stderr lines). */
  onDecisionLine?: ((line: string) => void) | undefined;
  /** One line when something the broker does in the background fails (an event, a delivery). */
  onProblem?: ((line: string) => void) | undefined;
  onStage?: ((stage: string) => void) | undefined;
}

export interface StandaloneBroker {
  readonly info: BrokerJson;
  readonly plan: FleetPlan;
  /** The scenario's CA as this session built it (certificates, keys). */
  readonly pki: ScenarioPki;
  /** Each planned device's factory credentials (key, certificate, chain; bootstrap where the scenario has them). */
  readonly credentials: Readonly<Record<string, FactoryCredentials>>;
  /** The clock as the control endpoint moves it: a move resolves once the broker is at the new time. */
  readonly clock: ControlledClock;
  close(): Promise<void>;
}

const CLOCK_FILE = 'clock.faketime';

/**
 * `certfleet broker`: the scenario's CA, broker and backend without simulated devices, on a live simulated clock that
 * a loopback endpoint moves; the scenario's broker events happen as the clock passes them (TimelineFollower), and
 * DIR/clock.faketime follows the clock so a client run under libfaketime reads the same time.
 */
export async function startStandaloneBroker(options: StandaloneBrokerOptions): Promise<StandaloneBroker> {
  const { scenario } = options.loaded;
  const seed = options.seed ?? scenario.seed;
  const target = scenario.broker.target;
  if (target === 'external') throw new RangeError('the standalone broker runs its own broker: embedded or mosquitto');
  if (target === 'mosquitto') findMosquittoPrograms();
  if (scenario.broker.instances > 1) {
    // Broker instances are joined and driven by a run's coordinator; a session for one client has no use for them.
    throw new UserInputError(options.loaded.file, [`broker.instances: ${scenario.broker.instances}: certfleet broker runs one broker process; broker instances are for certfleet run --redis`]);
  }
  const dir = options.dir;
  // A CA folder that cannot be used, and an export folder that cannot take the session, are refused up front.
  const reused = options.ca === undefined ? undefined : await reusedPki(options.ca, options);
  await prepareRunFolder(dir);
  if (!reused) options.onStage?.('building the PKI');
  const pki = reused ?? buildScenarioPki(scenario, seed);
  const plan = planFleet(scenario, { seed, devices: options.devices });
  options.onStage?.(`manufacturing ${plan.devices.length} device identities`);
  const credentials = manufactureDevices(plan, pki);
  await writeCaFolder(dir, pki, { scenario: scenario.name, seed });
  const startAt = options.at ?? scenario.timeline.start;
  const decisions = await DecisionLog.open(dir, {
    stderr: options.onDecisionLine,
    session: { scenario: scenario.name, scenarioFile: options.loaded.file, seed, simulatedStart: startAt },
    // A full disk stops the log, said once; the broker keeps serving.
    onFailure: (error) => options.onProblem?.(`the decision log stopped: ${error.message}`),
  });
  const onEvent = (event: FleetEvent) => decisions.onEvent(event);

  options.onStage?.(`starting the ${target} broker`);
  const config = brokerConfigFrom(scenario, pki, seed, {
    shards: 1,
    ...brokerPlanOf(plan),
    timeClaims: options.timeClaims,
  });
  // Every decision, admitted connects and deliveries too: the session's log is all a team has of it.
  config.recordDecisions = true;
  config.listen = { host: options.listen ?? '127.0.0.1', port: options.port };
  const choice: BrokerChoice = { target, factory: credentials };
  let stack: BrokerStack;
  try {
    stack = await startBrokerStack(config, choice, onEvent);
  } catch (error) {
    await decisions.close().catch(() => undefined);
    throw error;
  }

  const clock = new LiveClock({ t: startAt, speed: options.speed }, options.wall ?? (() => performance.now()));
  const tickMs = options.tickMs ?? 250;
  const clockFile = join(dir, CLOCK_FILE);
  const onProblem = options.onProblem ?? (() => undefined);
  const follower = new TimelineFollower(plan, stack, onProblem);
  let shownSecond = '';
  /** The broker at the clock's time now: events due applied, the epoch open, the clock file showing it. */
  const follow = async (): Promise<ClockState> => {
    const state = clock.read();
    // The epoch spans what the clock covers until the next tick, at least a millisecond (a frozen clock).
    await follower.reach(state.t, (state.speed * tickMs) / 1000);
    const second = faketimeTimestamp(state.t);
    if (second !== shownSecond) {
      writeFaketimeClock(clockFile, state.t);
      shownSecond = second;
    }
    return state;
  };
  const controlled: ControlledClock = {
    read: () => clock.read(),
    async move(move: ClockMove) {
      const speed = move.speed ?? clock.speed;
      if (move.at !== undefined) clock.set(move.at, speed);
      else if (move.advance !== undefined) clock.advance(move.advance, speed);
      else clock.set(clock.now(), speed);
      return follow();
    },
  };

  let control: ClockControl | undefined;
  let ticker: NodeJS.Timeout | undefined;
  /** Takes down what was started, in reverse; once. */
  let stopping: Promise<void> | undefined;
  const stop = (reached: number) =>
    (stopping ??= (async () => {
      clearInterval(ticker);
      await control?.close();
      // Deliveries waiting for an acknowledgement are not waited for: the broker is going away.
      await follower.stepsDone();
      await stack.close().catch((error: unknown) => onProblem(`closing the broker: ${(error as Error).message}`));
      await decisions.close({ reached }).catch((error: unknown) => onProblem(`closing the decision log: ${(error as Error).message}`));
    })());
  let first: ClockState;
  let exported: ExportedDevice[];
  try {
    first = await follow();
    control = await serveClockControl(controlled);
    let ticking = false;
    ticker = setInterval(() => {
      // A tick still being carried out (a Mosquitto reload) is not queued behind: the next one reads the clock anew.
      if (clock.speed === 0 || ticking) return;
      ticking = true;
      follow()
        .catch((error: unknown) => onProblem(`following the clock failed: ${(error as Error).message}`))
        .finally(() => (ticking = false));
    }, tickMs);
    options.onStage?.(`exporting ${plan.devices.length} device identities`);
    const address = { host: stack.host, port: stack.port, serverName: scenario.broker.host, clockFile: resolve(clockFile) };
    exported = await exportDeviceCredentials(dir, devicesToExport(plan, credentials, pki), address);
  } catch (error) {
    await stop(clock.now());
    throw error;
  }

  // The time the broker first judged at (a running clock has moved on a little by now).
  const start = describeClock(first);
  const absolute = (name: string) => resolve(dir, name);
  const info: BrokerJson = {
    scenario: { name: scenario.name, file: options.loaded.file, seed },
    broker: describeBroker(stack, options.timeClaims),
    listen: config.listen.host,
    host: stack.host,
    port: stack.port,
    serverName: scenario.broker.host,
    clock: {
      time: start.time,
      speed: start.speed,
      control: control.url,
      usage: [
        `curl -s ${control.url}`,
        `curl -s -X POST -d '{"advance": "1h"}' ${control.url}`,
        `curl -s -X POST -d '{"at": "${start.time}", "speed": "1s/s"}' ${control.url}`,
        `certfleet clock ${dir} --advance 1h`,
      ],
      file: absolute(CLOCK_FILE),
      // The file's time is UTC (libfaketime reads it in the local zone), and ld.so expands $LIB to the multiarch folder
      // Debian installs libfaketime in, as the faketime wrapper's own LD_PRELOAD does.
      followWith: `TZ=UTC LD_PRELOAD='/usr/$LIB/faketime/libfaketime.so.1' FAKETIME_TIMESTAMP_FILE=${absolute(CLOCK_FILE)} FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1`,
    },
    timeClaims: options.timeClaims,
    ca: absolute('ca'),
    devices: absolute('devices'),
    decisions: absolute('decisions.ndjson'),
    identities: exported.map((d) => ({ id: d.id, cohort: d.cohort, clientId: d.clientId, folder: d.folder, notAfter: d.notAfter })),
    startedAt: new Date().toISOString(),
  };
  await writeBrokerJson(dir, info);

  let closing: Promise<void> | undefined;
  if (!control) throw new Error('the clock control did not start');
  return {
    info,
    plan,
    pki,
    credentials,
    clock: controlled,
    close() {
      closing ??= (async () => {
        await stop(clock.now());
        await writeBrokerJson(dir, { ...info, stoppedAt: new Date().toISOString() }).catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** The broker as the stack describes it, with the clock it judges at here: the live clock, not a run's epochs. */
function describeBroker(stack: BrokerStack, timeClaims: TimeClaims): BrokerJson['broker'] {
  const described = stack.describe();
  if (described.target !== 'embedded') return described;
  const clock =
    timeClaims === 'ignore'
      ? 'the standalone broker\'s live clock (certfleet clock moves it): every client is judged at it'
      : 'the standalone broker\'s live clock, or a time a client claims inside the current tick (--accept-time-claims)';
  return { ...described, clock };
}

/**
 * The PKI of an earlier session, read back from the CA folder it exported (--ca); its CA issues from serial streams
 * of its own for this session (RFC 5280 4.1.2.2: unique per CA).
 */
function reusedPki(ca: string, options: StandaloneBrokerOptions): Promise<ScenarioPki> {
  options.onStage?.(`reading the CA of ${ca}`);
  return readCaFolder(ca, options.loaded.scenario, { serialScope: `session ${new Date().toISOString()}` });
}

/** Each planned device as the export takes it: its cohort's name, factory credentials, anchors and server name. */
function devicesToExport(plan: FleetPlan, credentials: Readonly<Record<string, FactoryCredentials>>, pki: ScenarioPki): DeviceToExport[] {
  const { scenario } = plan;
  return plan.devices.map((d) => {
    const cohort = scenario.fleet.cohorts[d.cohort];
    // A cohort that dials another name (connectivity.host) checks the server certificate against that one.
    const host = cohort?.connectivity.host;
    return {
      id: d.id,
      cohort: cohort?.name ?? String(d.cohort),
      credentials: credentials[d.id] as FactoryCredentials,
      anchorsPem: cohortAnchorsPem(scenario, pki, d.cohort),
      ...(host === undefined ? {} : { serverName: host }),
    };
  });
}
