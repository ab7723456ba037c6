import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Cause } from '../causes.js';
import type { ConnectTrace, FleetEvent } from '../events/fleet-event.js';
import { planFleet } from '../plan/fleet-plan.js';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { UserInputError } from '../input/user-input-error.js';
import { loadManifest, ReportInputError } from '../report/report-data.js';
import { runScenario } from '../run/run-scenario.js';
import { loadScenario } from '../scenario/load-scenario.js';
import { exportConnect } from './export-connect.js';

/** The largest text a string holds is about 512 MiB; a run's event log is read whole for one device. */
const MAX_EVENTS_BYTES = 500 * 1024 * 1024;

export interface ReproOptions {
  /** A run folder (with manifest.json). */
  runDir: string;
  deviceId: string;
  onStage?: ((stage: string) => void) | undefined;
}

export interface ReproResult {
  dir: string;
  cohort: string;
  /** The scenario file changed since the run (its SHA-256 differs from the manifest's). */
  scenarioChanged: boolean;
  /** The device's events in the replay, in true-time order. */
  timeline: Extract<FleetEvent, { device: string }>[];
  /**
   * The first connect of each streak with one outcome, as a folder: the PEMs and the openssl commands that check
   * certfleet's verdict.
   */
  exports: { dir: string; t: number; cause: Cause }[];
  /** Causes and times of the device's connects in the original run, for comparison. */
  original: { t: number; cause: string }[];
}

/**
 * Replays one device of a finished run alone, from the run's scenario and seed: the plan is made for the whole
 * fleet, so the device keeps its cohort, clock, randomness and deliveries. It runs traced, so each connect records
 * the chain the broker showed, the path the device built and its anchors; failures (and the first success) are
 * exported as PEMs with the `openssl verify -attime` commands that check the verdict outside certfleet.
 */
export async function reproduceDevice(options: ReproOptions): Promise<ReproResult> {
  // Checked field by field: a manifest that is missing or corrupt is a ReportInputError naming the file.
  const manifest = loadManifest(options.runDir);
  // A timeline that starts "now" replays from where the run's started.
  const loaded = loadScenario(manifest.scenario.file, { now: manifest.timelineStart === undefined ? undefined : Date.parse(manifest.timelineStart) });
  const scenarioChanged = loaded.sha256 !== manifest.scenario.sha256;
  const plan = planFleet(loaded.scenario, { seed: manifest.seed, devices: manifest.devices });
  const device = plan.devices.find((d) => d.id === options.deviceId);
  if (!device) {
    // The id is wrong, not the scenario: name the run's real range, from the plan that numbered them.
    const first = plan.devices[0]?.id;
    const last = plan.devices.at(-1)?.id;
    throw new UserInputError(`--device ${options.deviceId}`, [
      `no such device in ${options.runDir}: its ${manifest.devices} device${manifest.devices === 1 ? ' is' : 's are'} ${first === last ? first : `${first} to ${last}`}`,
    ]);
  }
  const dir = join(options.runDir, `repro-${options.deviceId}`);
  mkdirSync(dir, { recursive: true });
  // The replay's own run folder, made anew each time (a run needs an empty folder).
  rmSync(join(dir, 'run'), { recursive: true, force: true });
  options.onStage?.(`replaying ${options.deviceId} alone from seed ${manifest.seed}`);
  await runScenario({
    loaded,
    seed: manifest.seed,
    devices: manifest.devices,
    onlyDevices: [options.deviceId],
    trace: true,
    outDir: join(dir, 'run'),
    workers: 1,
  });
  const ids = new Set([device.id, device.clientId]);
  const timeline = readEvents(join(dir, 'run', 'events.ndjson'))
    .filter((e): e is Extract<FleetEvent, { device: string }> => 'device' in e && ids.has(e.device))
    .sort((a, b) => a.t - b.t);
  // The first connect of every streak with one outcome: the first success, each change of cause.
  const exports: ReproResult['exports'] = [];
  let previous: string | undefined;
  let n = 0;
  for (const event of timeline) {
    if (event.type !== 'device.connect' || !event.trace) continue;
    n += 1;
    if (event.cause === previous) continue;
    previous = event.cause;
    const folder = join(dir, `connect-${String(n).padStart(4, '0')}-${event.cause}`);
    exportConnect(folder, event as typeof event & { trace: ConnectTrace });
    exports.push({ dir: folder, t: event.t, cause: event.cause });
  }
  const original = readEvents(join(options.runDir, 'events.ndjson'))
    .filter((e): e is Extract<FleetEvent, { type: 'device.connect' }> => e.type === 'device.connect' && e.device === options.deviceId)
    .map((e) => ({ t: e.t, cause: e.cause }));
  return { dir, cohort: loaded.scenario.fleet.cohorts[device.cohort]?.name ?? '', scenarioChanged, timeline, exports, original };
}

function readEvents(file: string): FleetEvent[] {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_EVENTS_BYTES).toString('utf8');
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new ReportInputError(file, [error.reason]);
    throw error;
  }
  return text
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      try {
        return JSON.parse(line) as FleetEvent;
      } catch {
        throw new ReportInputError(file, [`line ${number}: not a JSON event (events.ndjson holds one JSON object per line)`]);
      }
    });
}

