/**
 * A scenario whose authorities are a team's own, made by openssl in a folder (`team/`) beside the scenario file and
 * imported with pki.authorities[].files: a server CA and a device CA with their keys, and a key-less CA the devices
 * only trust. Real time (start: now) at full speed, so what the run issues is valid when openssl verifies it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslCa } from './openssl-ca.js';

export const IMPORTED_CA_SCENARIO = `name: imported-ca
description: devices issued by a team's own device CA, a broker certificate by its server CA
seed: 3
timeline:
  start: now
  duration: 10m
  step: 1m
  sample: 1m
pki:
  authorities:
    - name: team-server-ca
      files: { certificateFile: team/server-ca.crt, keyFile: team/server-ca.key }
    - name: team-device-ca
      files: { certificateFile: team/device-ca.crt, keyFile: team/device-ca.key }
    - name: other-broker-ca
      files: { certificateFile: team/other-broker-ca.crt }
  serverCertificates:
    - name: broker
      issuer: team-server-ca
      notBefore: 2025-01-01T00:00:00Z
      notAfter: 2045-01-01T00:00:00Z
  deviceCertificates:
    issuer: team-device-ca
    lifetime: 6m
    backdate: 30s
broker:
  serverCertificate: broker
  deviceAuthorities: [team-device-ca]
fleet:
  devices: 3
  cohorts:
    - name: sensors
      share: 1
      trustStore: { anchors: [team-server-ca, other-broker-ca] }
      renewal: { retry: { initial: 10s, max: 30s } }
thresholds:
  - rotations.failed == 0
  - rotations.succeeded >= 3
  - lockedOut == 0
`;

/** Makes the team's CAs in `dir/team/` and writes the scenario (or `text`) as `dir/imported-ca.yaml`; its path. */
export function writeImportedCaScenario(dir: string, text = IMPORTED_CA_SCENARIO): string {
  const team = join(dir, 'team');
  mkdirSync(team, { recursive: true });
  opensslCa(team, 'server-ca', { subject: '/CN=Team Server CA/O=Example Team' });
  // As a team's README would make it: basicConstraints alone (no keyUsage).
  opensslCa(team, 'device-ca', { subject: '/CN=Team Device CA/O=Example Team', addext: ['basicConstraints=critical,CA:TRUE'] });
  opensslCa(team, 'other-broker-ca', { subject: '/CN=Other Broker CA/O=Example Team' });
  const file = join(dir, 'imported-ca.yaml');
  writeFileSync(file, text);
  return file;
}
