/**
 * A small scenario for broker, worker and end-to-end tests: one server root with an intermediate, a second root
 * for chain switches, a device root with an issuing CA, and two cohorts.
 */
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';

export const TINY_SCENARIO = `
name: tiny
description: a small fleet for tests
seed: 7
timeline:
  start: 2030-01-01T00:00:00Z
  end: 2030-03-01T00:00:00Z
  step: 6h
  sample: 1d
pki:
  authorities:
    - name: server-root
      subject: { CN: Test Server Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
    - name: server-ca
      subject: { CN: Test Server CA }
      issuer: server-root
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
    - name: other-root
      subject: { CN: Test Other Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
    - name: device-root
      subject: { CN: Test Device Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
    - name: device-ca
      subject: { CN: Test Device CA }
      issuer: device-root
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
  serverCertificates:
    - name: broker
      issuer: server-ca
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2031-01-01T00:00:00Z
      chain: [server-ca]
    - name: broker-other
      issuer: other-root
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2031-01-01T00:00:00Z
  deviceCertificates:
    issuer: device-ca
    chain: [device-ca]
    lifetime: 30d
    backdate: 1h
broker:
  serverCertificate: broker
  deviceAuthorities: [device-root]
fleet:
  devices: 4
  cohorts:
    - name: steady
      share: 0.5
      trustStore: { anchors: [server-root] }
    - name: other
      share: 0.5
      trustStore: { anchors: [server-root, other-root] }
      connectivity: { reconnectEvery: 10d }
`;

export function tinyScenario(text = TINY_SCENARIO): Scenario {
  return parseScenario(text, 'tiny.yaml');
}
