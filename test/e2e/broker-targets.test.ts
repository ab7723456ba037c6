/**
 * Choosing the broker target (broker.target, --broker) and what each target refuses, through the command line as a
 * user meets it: `validate` and `run` exit 2 naming the file, the line, the field and why, before anything runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { writeScenarioFile, type TextEdit } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-broker-targets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let files = 0;
/** The tiny scenario with edits, in a file of its own. */
function tiny(...edits: TextEdit[]): string {
  files += 1;
  return writeScenarioFile(work, `tiny-${files}.yaml`, TINY_SCENARIO, ...edits);
}

/** Exit 2, every fragment on stderr, no stack trace. */
function expectRefused(result: ReturnType<typeof runCli>, ...fragments: string[]): void {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
}

const BROKER = 'broker:\n  serverCertificate: broker\n';
/** An edit that adds lines to the broker section. */
const inBroker = (lines: string): TextEdit => [BROKER, `${BROKER}${lines}`];

describe('--broker mosquitto refuses what Mosquitto 2.0 cannot do', () => {
  it('refuses SNI endpoints: Mosquitto serves one certificate per listener', () => {
    const file = tiny(inBroker('  endpoints: [{ host: other.example, serverCertificate: broker-other }]\n'));
    expectRefused(
      runCli(['validate', file, '--broker', 'mosquitto']),
      `invalid scenario ${file}`,
      'line 51, column 3: broker.endpoints: --broker mosquitto cannot do this: Mosquitto serves one server certificate per listener and does not choose one by the name a device sends in SNI',
    );
  });

  it('refuses a per-client CONNECT rate limit and an account CONNECT rate limit, each at its field', () => {
    const file = tiny(inBroker('  limits:\n    connectsPerSecond: 100\n    connectsPerClientPerSecond: 1\n    issuancePerSecond: 15\n'));
    const result = runCli(['validate', file, '--broker', 'mosquitto']);
    expectRefused(
      result,
      '2 problems',
      'line 52, column 5: broker.limits.connectsPerSecond: --broker mosquitto cannot do this: Mosquitto has no CONNECT rate limit',
      'line 53, column 5: broker.limits.connectsPerClientPerSecond: --broker mosquitto cannot do this: Mosquitto has no per-client CONNECT rate limit',
    );
    // The CA's issuance queue is the backend's, which certfleet runs on every target.
    expect(result.stderr).not.toContain('issuancePerSecond');
  });

  it('refuses renewal after expiry: Mosquitto refuses an expired certificate in the handshake', () => {
    const file = tiny(inBroker('  renewAfterExpiry: 30d\n'));
    expectRefused(runCli(['validate', file, '--broker', 'mosquitto']), 'broker.renewAfterExpiry: --broker mosquitto cannot do this: Mosquitto refuses an expired client certificate');
  });

  it('refuses a cohort whose client id is not its CN while the broker must compare them, and accepts it when it need not', () => {
    const clientId: TextEdit = ['    - name: other\n      share: 0.5\n', '    - name: other\n      share: 0.5\n      identity: { clientId: shared-01 }\n'];
    expectRefused(
      runCli(['validate', tiny(clientId), '--broker', 'mosquitto']),
      'fleet.cohorts[1].identity.clientId: --broker mosquitto cannot do this:',
      'Mosquitto does not compare the two; run it on broker.target embedded, or set broker.clientIdMustMatchCertificate: false',
    );
    const admitted = runCli(['validate', tiny(clientId, inBroker('  clientIdMustMatchCertificate: false\n')), '--broker', 'mosquitto']);
    expect(admitted.status, admitted.stderr).toBe(0);
  });

  it('refuses connection limits Mosquitto has no setting for, only where the file sets them', () => {
    const file = tiny(
      inBroker('  connections:\n    handshakeTimeout: 10s\n    connectTimeout: 10s\n    maxPacketBeforeConnect: 4096\n    perSource: 50\n    maxPacketAfterConnect: 65536\n'),
    );
    const result = runCli(['validate', file, '--broker', 'mosquitto']);
    expectRefused(
      result,
      '4 problems',
      'broker.connections.handshakeTimeout: --broker mosquitto cannot do this: Mosquitto has no TLS handshake timeout setting',
      'broker.connections.connectTimeout: --broker mosquitto cannot do this: Mosquitto has no setting for how long a connection may wait before its CONNECT',
      'broker.connections.maxPacketBeforeConnect: --broker mosquitto cannot do this: Mosquitto has one max_packet_size for every packet, before and after CONNECT',
      'broker.connections.perSource: --broker mosquitto cannot do this: Mosquitto limits connections per listener (max_connections), not per source address',
    );
    // max_packet_size is Mosquitto's own.
    expect(result.stderr).not.toContain('broker.connections.maxPacketAfterConnect:');
    expect(runCli(['validate', tiny(), '--broker', 'mosquitto']).status).toBe(0);
  });

  it('names the scenario\'s broker.target when the file chooses it, and --broker embedded lifts the refusal', () => {
    const file = tiny(inBroker('  target: mosquitto\n  renewAfterExpiry: 30d\n'));
    expectRefused(runCli(['validate', file]), 'broker.renewAfterExpiry: broker.target mosquitto cannot do this');
    const embedded = runCli(['validate', file, '--broker', 'embedded']);
    expect(embedded.status, embedded.stderr).toBe(0);
    expect(embedded.stdout).toContain('broker target embedded');
  });

  it('refuses the run as well, before a run folder is made', () => {
    const out = join(work, 'refused-run');
    const file = tiny(inBroker('  limits: { connectsPerClientPerSecond: 1 }\n'));
    expectRefused(runCli(['run', file, '--broker', 'mosquitto', '--out', out, '--quiet']), 'broker.limits.connectsPerClientPerSecond: --broker mosquitto cannot do this');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses what only a broker sharing the backend\'s registry does: provisioning-only bootstrap sessions, inactive certificates', () => {
    const revocation = runCli(['validate', join(ROOT, 'scenarios', 'revocation.yaml'), '--broker', 'mosquitto']);
    expectRefused(revocation, 'broker.bootstrapAuthorities: --broker mosquitto cannot do this: its ACL gives rights by user name (the CN)');
    // Revocations themselves are carried out on Mosquitto (a CRL and SIGHUP).
    expect(revocation.stderr).not.toMatch(/events\[\d+\]/);
    expectRefused(
      runCli(['validate', join(ROOT, 'scenarios', 'renewal-thundering-herd.yaml'), '--broker', 'mosquitto']),
      'rotation.protocol: --broker mosquitto cannot do this: Mosquitto admits every certificate under its CA file; fleet-provisioning needs',
    );
  });

  it.each(['dst-root-ca-x3-2021', 'addtrust-2020', 'root-expiry-2030', 'daa-24h'])('accepts the shipped %s, which embedded and mosquitto tell alike', (name) => {
    const result = runCli(['validate', join(ROOT, 'scenarios', `${name}.yaml`), '--broker', 'mosquitto']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('broker target mosquitto');
  });
});

describe('--broker external runs on real time and refuses what certfleet cannot steer', () => {
  const REAL_TIME = join(ROOT, 'scenarios', 'real-time-rotation.yaml');
  const externalDir = join(work, 'my-broker');
  mkdirSync(externalDir, { recursive: true });
  // A CA file and a backend identity as a team has them for its broker.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=My Broker CA', '-days', '2',
    '-keyout', join(externalDir, 'ca.key'), '-out', join(externalDir, 'ca.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=certfleet-backend', '-days', '2',
    '-keyout', join(externalDir, 'backend.key'), '-out', join(externalDir, 'backend.crt')], { stdio: 'ignore' });
  const EXTERNAL_SECTION =
    '  external:\n    host: 127.0.0.1\n    port: 8883\n    caFile: my-broker/ca.pem\n    backend: { certificateFile: my-broker/backend.crt, keyFile: my-broker/backend.key }\n';
  /** The shipped real-time scenario, copied next to my-broker/ with its external section filled in. */
  const realTime = (...edits: TextEdit[]) => {
    files += 1;
    return writeScenarioFile(work, `real-time-${files}.yaml`, readFileSync(REAL_TIME, 'utf8'), ['  # external:\n', `${EXTERNAL_SECTION}  # external:\n`], ...edits);
  };

  it('accepts the shipped real-time scenario given its broker.external section, files relative to the scenario', () => {
    const result = runCli(['validate', realTime(), '--broker', 'external']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`broker target external: 127.0.0.1:8883, server certificate checked against ${join(externalDir, 'ca.pem')}`);
    expect(result.stdout).toMatch(/timeline now \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z\) for 4m, on real time/);
  });

  it('refuses a simulated timeline: a start other than now and a speed other than 1s/s, saying why and what to do', () => {
    const file = realTime(['  start: now\n  duration: 4m\n  speed: 1s/s\n', '  start: 2030-01-01T00:00:00Z\n  duration: 4m\n  speed: 30d/s\n']);
    expectRefused(
      runCli(['validate', file, '--broker', 'external']),
      'timeline.start: --broker external cannot do this: an external broker judges every certificate at its own real clock, so the timeline must start now (timeline.start: now), not at 2030-01-01T00:00:00.000Z; use broker.target mosquitto to judge at a simulated time, or a real-time scenario like scenarios/real-time-rotation.yaml',
      'timeline.speed: --broker external cannot do this: an external broker judges every certificate at its own real clock, so the timeline must run at one second per second (timeline.speed: 1s/s), not 2592000 s per second',
    );
  });

  it('refuses a scenario without broker.external', () => {
    expectRefused(runCli(['validate', REAL_TIME, '--broker', 'external']), 'broker.external: required for --broker external: expected { host, port, caFile, backend: { certificateFile, keyFile } }');
  });

  it('refuses broker.external files that are missing or are not PEM, each at its field', () => {
    writeFileSync(join(externalDir, 'not-a-key.pem'), 'hello\n');
    const file = realTime(
      ['caFile: my-broker/ca.pem', 'caFile: my-broker/missing.pem'],
      ['certificateFile: my-broker/backend.crt', 'certificateFile: my-broker/backend.key'],
      ['keyFile: my-broker/backend.key', 'keyFile: my-broker/not-a-key.pem'],
    );
    expectRefused(
      runCli(['validate', file, '--broker', 'external']),
      `broker.external.backend.certificateFile: expected a PEM certificate: ${join(externalDir, 'backend.key')}`,
      `broker.external.caFile: expected a PEM file of CA certificates: no such file: ${join(externalDir, 'missing.pem')}`,
      `broker.external.backend.keyFile: expected a PEM private key: ${join(externalDir, 'not-a-key.pem')}: not a private key in PEM`,
    );
  });

  it('refuses what certfleet would have to do on the broker: its clock, chain switches, revocations, restarts, accepted authorities', () => {
    const file = realTime(
      ['  serverCertificate: broker\n', '  serverCertificate: broker\n  clock: { offset: 5m, driftPpm: 20 }\n'],
      [
        'thresholds:\n',
        'events:\n  - { type: server-certificate, at: 2025-06-01T00:00:00Z, use: broker }\n  - { type: revoke, at: 2025-06-01T00:00:00Z, devices: { share: 0.5 } }\n' +
          '  - { type: broker-restart, at: 2025-06-01T00:00:00Z }\n  - { type: broker-device-authorities, at: 2025-06-01T00:00:00Z, add: [device-ca] }\nthresholds:\n',
      ],
    );
    const result = runCli(['validate', file, '--broker', 'external']);
    expectRefused(
      result,
      'broker.clock.offset: --broker external cannot do this: an external broker judges every certificate at its own real clock; certfleet cannot set it off',
      'broker.clock.driftPpm: --broker external cannot do this: an external broker judges every certificate at its own real clock; certfleet cannot make it drift',
      'events[0].type: --broker external cannot do this: certfleet cannot switch the server certificate of a broker it does not run',
      'events[1].type: --broker external cannot do this: certfleet cannot make a broker it does not run load a CRL',
      'events[2].type: --broker external cannot do this: certfleet cannot restart a broker it does not run',
      'events[3].type: --broker external cannot do this: certfleet cannot change the authorities a broker it does not run accepts',
    );
  });

  it('refuses the broker-side settings Mosquitto refuses too, as settings of a broker it does not run', () => {
    const file = realTime(['  serverCertificate: broker\n', '  serverCertificate: broker\n  limits: { connectsPerClientPerSecond: 1 }\n  connections: { maxPacketAfterConnect: 65536 }\n']);
    expectRefused(
      runCli(['validate', file, '--broker', 'external']),
      'broker.limits.connectsPerClientPerSecond: --broker external cannot do this: certfleet cannot set up a per-client CONNECT rate limit on a broker it does not run',
      'broker.connections.maxPacketAfterConnect: --broker external cannot do this: certfleet cannot set up broker.connections.maxPacketAfterConnect on a broker it does not run',
    );
  });
});

describe('--broker on the command line', () => {
  it('accepts only the three targets', () => {
    const result = runCli(['validate', join(ROOT, 'scenarios', 'root-expiry-2030.yaml'), '--broker', 'hivemq']);
    expectRefused(result, 'Invalid values:', 'Argument: broker, Given: "hivemq", Choices: "embedded", "mosquitto", "external"');
  });

});
