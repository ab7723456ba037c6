/**
 * A certfleet-run Mosquitto for tests: the tiny scenario's broker configuration, a backend user, and the devices'
 * current certificates as the test registers them.
 */
import { brokerConfigFrom, type BrokerConfig } from '../../broker/broker-config.js';
import type { BrokerTarget } from '../../broker/broker-target.js';
import { startMosquittoBroker } from '../../broker/mosquitto/mosquitto-broker.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { deviceIdentity, type DeviceIdentity } from './mqtt-device.js';
import { tinyScenario } from './tiny-scenario.js';

export const BACKEND_USER = 'certfleet-backend';

export interface TestMosquitto {
  broker: BrokerTarget;
  config: BrokerConfig;
  pki: ScenarioPki;
  events: FleetEvent[];
  /** Records `identity` as `deviceId`'s current certificate (what revoke-devices revokes) and tells the broker. */
  register(deviceId: string, identity: DeviceIdentity): void;
  /** A client identity for the backend user, from the device CA. */
  backend: DeviceIdentity;
}

export async function startTestMosquitto(): Promise<TestMosquitto> {
  const scenario = tinyScenario();
  const pki = buildScenarioPki(scenario, 7);
  const config = brokerConfigFrom(scenario, pki, 7);
  const events: FleetEvent[] = [];
  const current = new Map<string, string>();
  const broker = await startMosquittoBroker(config, { backendUser: BACKEND_USER, currentCertificateOf: (id) => current.get(id) }, (event) => events.push(event));
  const backend = deviceIdentity(pki, BACKEND_USER, { notBefore: Date.parse('2020-01-01T00:00:00Z'), notAfter: Date.parse('2039-01-01T00:00:00Z') });
  return {
    broker,
    config,
    pki,
    events,
    backend,
    register(deviceId, identity) {
      current.set(deviceId, identity.cert);
      broker.certificateIssued(identity.cert);
    },
  };
}
