import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { readCaFolder, writeCaFolder } from '../../sim/export/ca-folder.js';
import { cohortAnchorsPem } from '../../sim/export/cohort-anchors.js';
import { exportDeviceCredentials, type ExportedDevice } from '../../sim/export/credential-export.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../../sim/scenario-pki/device-factory.js';
import { presentScenario } from '../support/present-scenario.js';
import { runProgram } from '../support/run-program.js';
import { HOUR } from '../support/time.js';

const NOW = Date.now();
const scenario = presentScenario(NOW);
let dir: string;
let device: ExportedDevice;
let port: number;
const events: FleetEvent[] = [];

/** A broker of the scenario with this PKI, on `port` (0: any), its clock at the present. */
async function startBroker(pki: ScenarioPki, on = 0): Promise<EmbeddedBroker> {
  const config = brokerConfigFrom(scenario, pki, 7);
  const broker = await startEmbeddedBroker({ ...config, listen: { ...config.listen, port: on } }, (event) => events.push(event));
  broker.setEpoch(NOW, NOW + HOUR);
  return broker;
}

const pub = () => runProgram('sh', [join(dir, device.folder, 'commands.sh'), 'pub']);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certfleet-ca-reuse-'));
  const pki = buildScenarioPki(scenario, 7);
  const plan = planFleet(scenario, { seed: 7 });
  const [first] = plan.devices;
  const credentials = first && manufactureDevices(plan, pki)[first.id];
  if (!first || !credentials) throw new Error('the plan has no device');
  const broker = await startBroker(pki);
  port = broker.port;
  try {
    await writeCaFolder(dir, pki, { scenario: scenario.name, seed: 7 });
    [device] = (await exportDeviceCredentials(
      dir,
      [{ id: first.id, cohort: 'steady', credentials, anchorsPem: cohortAnchorsPem(scenario, pki, first.cohort) }],
      { host: broker.host, port, serverName: scenario.broker.host, clockFile: join(dir, 'clock.faketime') },
    )) as [ExportedDevice];
    const firstStart = await pub();
    if (firstStart.status !== 0) throw new Error(`the first broker start refused the exported device: ${firstStart.stderr}`);
  } finally {
    await broker.close();
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a broker started again from the exported CA folder', () => {
  it('admits the credentials exported by the first start, and the client still trusts its server chain', async () => {
    const broker = await startBroker(await readCaFolder(dir, scenario, { serialScope: 'second start' }), port);
    try {
      expect(await pub()).toMatchObject({ status: 0, stderr: '' });
      expect(events.filter((e) => e.type === 'broker.admission')).toEqual([]);
    } finally {
      await broker.close();
    }
  });

  it('is what keeps them: against a broker with a new CA of the same scenario, the exported client fails its TLS handshake', async () => {
    const broker = await startBroker(buildScenarioPki(scenario, 7), port);
    try {
      const refused = await pub();
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('TLS error');
    } finally {
      await broker.close();
    }
  });
});
