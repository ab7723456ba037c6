/**
 * broker.target external: a team's own Mosquitto, started by the test on the host clock with its own CA files and
 * ACL, neither started nor steered by certfleet. The run is on real time; certfleet's devices (certificates from the
 * team's device CA, imported) and its backend (an identity the team issued) connect to it, and every device rotates
 * its 30-second certificate through it, judged by Mosquitto's OpenSSL at the host clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAcl } from '../../broker/mosquitto/mosquitto-acl.js';
import { runCli } from '../support/cli.js';
import { opensslCa, opensslLeaf } from '../support/openssl-ca.js';
import { writeScenarioFile } from '../support/scenario-file.js';
import { startTeamMosquitto, type TeamMosquitto } from '../support/team-mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'certfleet-external-'));
let broker: TeamMosquitto;

const scenario = (port: number) => `name: team-broker
description: three devices on real time rotating 30-second certificates through a team's Mosquitto
seed: 4
timeline:
  start: now
  duration: 35s
  speed: 1s/s
  step: 1s
  sample: 5s
pki:
  authorities:
    - name: team-server-ca
      files: { certificateFile: team/server-ca.crt }
    - name: team-device-ca
      files: { certificateFile: team/device-ca.crt, keyFile: team/device-ca.key }
    - name: unused-server-ca
      subject: { CN: Unused Server CA }
      notBefore: 2025-01-01T00:00:00Z
      notAfter: 2045-01-01T00:00:00Z
  serverCertificates:
    - name: unused
      issuer: unused-server-ca
      notBefore: 2025-01-01T00:00:00Z
      notAfter: 2045-01-01T00:00:00Z
  deviceCertificates:
    issuer: team-device-ca
    lifetime: 30s
    backdate: 10s
broker:
  target: external
  serverCertificate: unused
  deviceAuthorities: [team-device-ca]
  host: localhost
  external:
    host: 127.0.0.1
    port: ${port}
    caFile: team/server-ca.crt
    backend: { certificateFile: team/backend.crt, keyFile: team/backend.key }
fleet:
  devices: 3
  cohorts:
    - name: sensors
      share: 1
      trustStore: { anchors: [team-server-ca] }
      renewal: { at: 2/3, retry: { initial: 2s, max: 5s } }
      connectivity: { retry: { initial: 2s, max: 5s } }
`;

beforeAll(async () => {
  const team = join(dir, 'team');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(team);
  const serverCa = opensslCa(team, 'server-ca', { subject: '/CN=Team Server CA/O=Example Team' });
  const deviceCa = opensslCa(team, 'device-ca', { subject: '/CN=Team Device CA/O=Example Team' });
  const server = opensslLeaf(team, 'server', serverCa, { subject: '/CN=localhost', extensions: ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth'] });
  opensslLeaf(team, 'backend', deviceCa, { subject: '/CN=certfleet-backend', extensions: ['extendedKeyUsage=clientAuth'] });
  broker = await startTeamMosquitto(dir, {
    cafile: deviceCa.certificateFile,
    certfile: server.certificateFile,
    keyfile: server.keyFile,
    // What docs/mosquitto-target.md tells a team: each device under its own prefix, the backend everywhere.
    acl: mosquittoAcl('certfleet-backend'),
  });
});

afterAll(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('broker.target external: a team Mosquitto on the host clock', () => {
  it('every device connects and rotates through it; the backend answers over it; the run names the external broker', () => {
    const file = writeScenarioFile(dir, 'team-broker.yaml', scenario(broker.port));
    const out = join(dir, 'run');
    const result = runCli(['run', file, '--out', out], { timeoutMs: 120_000 });
    expect(result.status, `${result.stderr}\n${broker.log().slice(-2000)}`).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      failures: { byCause: Record<string, unknown> };
      rotations: { succeeded: number; failed: number };
      connects: { succeeded: number };
      broker: { issued: number };
    };
    expect(summary.failures.byCause).toEqual({});
    expect(summary.rotations.failed).toBe(0);
    expect(summary.rotations.succeeded).toBeGreaterThanOrEqual(3);
    expect(summary.broker.issued).toBe(summary.rotations.succeeded);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { broker: { target: string; clock: string } };
    expect(manifest.broker).toMatchObject({ target: 'external', clock: expect.stringContaining('real clock') as unknown });
    // A rotation succeeds only once the device has reconnected on its new certificate (a refused one is rolled back and
    // failed): Mosquitto admitted every renewed certificate, at its own clock.
    expect(summary.connects.succeeded).toBeGreaterThanOrEqual(3);
  });

  it('the same scenario at a simulated start is refused for the external broker, saying what to do', () => {
    const text = scenario(broker.port).replace('start: now\n  duration: 35s', 'start: 2030-01-01T00:00:00Z\n  end: 2030-01-02T00:00:00Z');
    const file = writeScenarioFile(dir, 'team-broker-2030.yaml', text);
    const result = runCli(['validate', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/timeline\.start/);
    expect(result.stderr).toMatch(/mosquitto/);
  });
});
