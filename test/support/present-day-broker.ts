/**
 * The embedded broker of a scenario whose timeline and certificates surround the real present, in its epoch at the
 * present second: for clients that check the broker's chain at the host's clock and claim no time (AWS's device SDK),
 * which the broker judges at its epoch's start. Devices are issued directly by the device root, so a certificate
 * alone (AWS's `certificatePem`) is a chain the broker can build; bootstrap (claim) identities come from a claim root
 * the broker admits for provisioning only.
 */
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { generateKeyPair } from '../../sim/pki/index.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import { authorityFromPki, buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import type { DeviceIdentity } from './mqtt-device.js';
import { DAY, HOUR } from './time.js';

/** An ISO 8601 instant to the second, as scenarios write them. */
const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A scenario around `now`: every authority valid two years either side, the server certificate one. */
export function presentDayScenarioText(now: number): string {
  const authority = (name: string, cn: string) =>
    `    - name: ${name}\n      subject: { CN: ${cn} }\n      notBefore: ${iso(now - 730 * DAY)}\n      notAfter: ${iso(now + 730 * DAY)}\n`;
  return `
name: present-day
description: a fleet whose certificates surround the real present, for clients that judge at the host clock
seed: 7
timeline:
  start: ${iso(now - DAY)}
  end: ${iso(now + 60 * DAY)}
  step: 6h
  sample: 1d
pki:
  authorities:
${authority('server-root', 'Present Server Root')}${authority('device-root', 'Present Device Root')}${authority('claim-root', 'Present Claim Root')}  serverCertificates:
    - name: broker
      issuer: server-root
      notBefore: ${iso(now - 365 * DAY)}
      notAfter: ${iso(now + 365 * DAY)}
  deviceCertificates:
    issuer: device-root
    chain: []
    lifetime: 30d
    backdate: 1h
  bootstrapCertificates: { issuer: claim-root, lifetime: 7300d }
broker:
  serverCertificate: broker
  deviceAuthorities: [device-root]
  bootstrapAuthorities: [claim-root]
fleet:
  devices: 2
  cohorts:
    - name: provisioned
      share: 1
      trustStore: { anchors: [server-root] }
      rotation: { protocol: fleet-provisioning }
`;
}

export interface PresentDayBroker {
  broker: EmbeddedBroker;
  pki: ScenarioPki;
  /** The epoch's start, the present second: where the broker judges a client that claims no time. */
  now: number;
  events: FleetEvent[];
  /** The server root, PEM: the CA file a client trusts the broker with. */
  serverRootPem: string;
  /** A claim (bootstrap) certificate for `clientId` from the claim root, valid a day either side of now. */
  claimIdentity(clientId: string): DeviceIdentity;
}

export async function startPresentDayBroker(): Promise<PresentDayBroker> {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const scenario = parseScenario(presentDayScenarioText(now), 'present-day.yaml');
  const pki = buildScenarioPki(scenario, 7);
  const events: FleetEvent[] = [];
  const broker = await startEmbeddedBroker(brokerConfigFrom(scenario, pki, 7), (event) => events.push(event));
  broker.setEpoch(now, now + HOUR);
  const claimIdentity = (clientId: string): DeviceIdentity => {
    const claimRoot = authorityFromPki(pki, 'claim-root', 7, `claim-${clientId}`);
    const keyPair = generateKeyPair('ec-p256');
    const issued = claimRoot.issue({ subject: { CN: clientId }, publicKey: keyPair.publicKey, profile: 'device', notBefore: now - DAY, notAfter: now + DAY });
    return { key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: issued.pem };
  };
  return { broker, pki, now, events, serverRootPem: pki.certificates['server-root'] ?? '', claimIdentity };
}
