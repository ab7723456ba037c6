/** The embedded broker with a backend that runs rotation jobs (AWS IoT Jobs) for the given devices. */
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { DAY, HOUR } from './time.js';
import { TINY_SCENARIO } from './tiny-scenario.js';

export interface JobsBroker {
  broker: EmbeddedBroker;
  pki: ScenarioPki;
  events: FleetEvent[];
}

/**
 * Starts the broker of `scenarioText` (the tiny scenario by default) in the epoch [at, at + 1 h); the backend starts a
 * rotation job for each of `devices` whose certificate expires within `beforeMs` (10 days) when `startEpoch` runs.
 */
export async function startJobsBroker(options: { devices: readonly string[]; at: number; scenarioText?: string; beforeMs?: number }): Promise<JobsBroker> {
  const scenario = parseScenario(options.scenarioText ?? TINY_SCENARIO, 'jobs.yaml');
  const pki = buildScenarioPki(scenario, 7);
  const backendRotations = new Map(options.devices.map((id) => [id, { protocol: 'job' as const, beforeMs: options.beforeMs ?? 10 * DAY }]));
  const events: FleetEvent[] = [];
  const broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7, { shards: 1, deviceIndex: {}, backendRotations }), (event) => events.push(event));
  await broker.setEpoch(options.at, options.at + HOUR);
  return { broker, pki, events };
}

/**
 * The tiny scenario moved to the real present: a timeline from `now` and a server certificate valid from 2020, so a
 * client whose TLS stack judges the broker's chain at the host's clock (AWS's device SDK) accepts it.
 */
export function presentScenarioText(now: number): string {
  const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return TINY_SCENARIO.replace('  start: 2030-01-01T00:00:00Z\n  end: 2030-03-01T00:00:00Z\n', `  start: ${iso(now)}\n  end: ${iso(now + 60 * DAY)}\n`).replace(
    '    - name: broker\n      issuer: server-ca\n      notBefore: 2029-01-01T00:00:00Z',
    '    - name: broker\n      issuer: server-ca\n      notBefore: 2020-01-01T00:00:00Z',
  );
}
