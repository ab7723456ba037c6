import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { writeFaketimeClock } from '../../broker/mosquitto/faketime-clock.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { cohortAnchorsPem } from '../../sim/export/cohort-anchors.js';
import { exportDeviceCredentials, type ExportedDevice } from '../../sim/export/credential-export.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../../sim/scenario-pki/device-factory.js';
import { runProgram } from '../support/run-program.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { HOUR, SECOND } from '../support/time.js';

// The tiny scenario lives in 2030: its broker's server certificate is not yet valid at the host's clock.
const scenario = tinyScenario();
const START = scenario.timeline.start + HOUR;
let broker: EmbeddedBroker;
let dir: string;
let device: ExportedDevice;
const events: FleetEvent[] = [];

beforeAll(async () => {
  const pki = buildScenarioPki(scenario, 7);
  const plan = planFleet(scenario, { seed: 7 });
  const [first] = plan.devices;
  const credentials = first && manufactureDevices(plan, pki)[first.id];
  if (!first || !credentials) throw new Error('the plan has no device');
  broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), (event) => events.push(event));
  dir = mkdtempSync(join(tmpdir(), 'certfleet-clock-'));
  const clockFile = join(dir, 'clock.faketime');
  [device] = (await exportDeviceCredentials(
    dir,
    [{ id: first.id, cohort: 'steady', credentials, anchorsPem: cohortAnchorsPem(scenario, pki, first.cohort) }],
    { host: broker.host, port: broker.port, serverName: scenario.broker.host, clockFile },
  )) as [ExportedDevice];
});

afterAll(async () => {
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The broker's clock at t: its epoch (what it judges a client that claims no time at) and the clock file. */
function setBrokerClock(t: number): void {
  broker.setEpoch(t, t + HOUR);
  writeFaketimeClock(join(dir, 'clock.faketime'), t);
}

const sh = (...args: string[]) => runProgram('sh', [join(dir, device.folder, 'commands.sh'), ...args]);

describe('a client run at the broker\'s clock with commands.sh', () => {
  it('refuses the broker\'s chain at the host clock, and accepts it and is admitted under libfaketime at the broker\'s clock', async () => {
    setBrokerClock(START);
    const atHostClock = await sh('pub', '-d');
    expect(atHostClock.status).not.toBe(0);
    expect(atHostClock.stdout + atHostClock.stderr).toContain('certificate verify failed');
    const sClientAtHostClock = await sh('s_client', '-brief');
    expect(sClientAtHostClock.status).not.toBe(0);
    expect(sClientAtHostClock.stderr).toContain('certificate is not yet valid');
    const atBrokerClock = await sh('pub-at-broker-clock');
    expect(atBrokerClock).toMatchObject({ status: 0, stderr: '' });
    const sClient = await sh('s_client-at-broker-clock', '-brief');
    expect(sClient.stderr).toContain('Verification: OK');
  });

  it('is admitted just before its certificate\'s notAfter and refused just after it, with the broker\'s cause', async () => {
    const notAfter = Date.parse(device.notAfter);
    setBrokerClock(notAfter - 10 * SECOND);
    expect(await sh('pub-at-broker-clock')).toMatchObject({ status: 0 });
    setBrokerClock(notAfter + 10 * SECOND);
    const after = await sh('pub-at-broker-clock');
    expect(after.status).not.toBe(0);
    expect(events.filter((e) => e.type === 'broker.admission' && e.device === device.id).map((e) => (e as { cause: string }).cause)).toEqual(['expired_leaf']);
  });
});
