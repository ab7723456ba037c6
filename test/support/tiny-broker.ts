/** The embedded broker of the tiny scenario, in its epoch at T0, and real TLS devices with a month-long certificate. */
import type { MqttClient } from 'mqtt';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import { simTimeUsername } from '../../sim/device-api/messages.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { connectedDevice, deviceIdentity } from './mqtt-device.js';
import { DAY, HOUR } from './time.js';
import { tinyScenario } from './tiny-scenario.js';

export const TINY_BROKER_T0 = Date.parse('2030-01-15T00:00:00Z');

export interface TinyBroker {
  broker: EmbeddedBroker;
  pki: ScenarioPki;
  /** A device admitted with its own certificate (CN = client id), valid a day before T0 to a month after. */
  device(clientId: string): Promise<MqttClient>;
}

export async function startTinyBroker(): Promise<TinyBroker> {
  const scenario = tinyScenario();
  const pki = buildScenarioPki(scenario, 7);
  const broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), () => undefined);
  broker.setEpoch(TINY_BROKER_T0, TINY_BROKER_T0 + HOUR);
  const device = (clientId: string) =>
    connectedDevice(broker, deviceIdentity(pki, clientId, { notBefore: TINY_BROKER_T0 - DAY, notAfter: TINY_BROKER_T0 + 30 * DAY }), {
      clientId,
      username: simTimeUsername(TINY_BROKER_T0),
    });
  return { broker, pki, device };
}
