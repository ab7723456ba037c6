import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { readEventLines, type EventLine } from '../support/event-lines.js';
import { summaryCounts } from '../support/summary-counts.js';

async function run(text: string, devices: number) {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-protocols-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, text);
  const { summary } = await runScenario({ loaded: loadScenario(file), devices, outDir: join(dir, 'run'), workers: 1 });
  const events = readEventLines(join(dir, 'run', 'events.ndjson'));
  return { summary, events };
}

/** Both cohorts of the tiny scenario get these extra cohort keys (and lose the second one's churn). */
const cohorts = (extra: string) =>
  TINY_SCENARIO.replace('      connectivity: { reconnectEvery: 10d }\n', '').replace('      trustStore: { anchors: [server-root] }\n', `      trustStore: { anchors: [server-root] }\n${extra}`).replace(
    '      trustStore: { anchors: [server-root, other-root] }\n',
    `      trustStore: { anchors: [server-root, other-root] }\n${extra}`,
  );

/** A claim root for bootstrap identities, accepted by the broker for provisioning only. */
const withBootstrap = (text: string) =>
  text
    .replace(
      '  serverCertificates:\n',
      '    - name: claim-root\n      subject: { CN: Test Claim Root }\n      notBefore: 2020-01-01T00:00:00Z\n      notAfter: 2045-01-01T00:00:00Z\n  serverCertificates:\n',
    )
    .replace('broker:\n', '  bootstrapCertificates: { issuer: claim-root, lifetime: 7300d }\nbroker:\n')
    .replace('  deviceAuthorities: [device-root]\n', '  deviceAuthorities: [device-root]\n  bootstrapAuthorities: [claim-root]\n');

const rotations = (events: EventLine[], method: string, outcome = 'succeeded') =>
  events.filter((e) => e.type === 'device.rotation' && e.method === method && e.outcome === outcome);

describe('fleet provisioning (create-from-csr, then RegisterThing with the ownership token)', () => {
  it('rotates every device, each certificate activated by its registration', async () => {
    const { summary, events } = await run(cohorts('      rotation: { protocol: fleet-provisioning }\n'), 6);
    expect(rotations(events, 'fleet-provisioning').length).toBeGreaterThanOrEqual(6);
    expect(events.filter((e) => e.type === 'broker.registration' && e.ok === true).length).toBe(rotations(events, 'fleet-provisioning').length);
    expect(summary.failures.byCause).toEqual({});
  }, 120_000);

  it('refuses a token redeemed after its hour when RegisterThing is backed up, and the device starts over', async () => {
    // Every device renews at the same instant; RegisterThing serves one call every 40 minutes.
    const text = cohorts('      rotation: { protocol: fleet-provisioning }\n')
      .replace('    backdate: 1h\n', '    backdate: 1h\n    issued: { from: 2029-12-12T00:00:00Z, to: 2029-12-12T00:00:00Z }\n')
      .replace('  deviceAuthorities: [device-root]\n', '  deviceAuthorities: [device-root]\n  limits: { registrationsPerSecond: 0.000417 }\n');
    const { events } = await run(text, 6);
    const expired = events.filter((e) => e.type === 'device.rotation' && e.cause === 'ownership_token_expired');
    expect(expired.length).toBeGreaterThan(0);
    expect(expired.every((e) => e.step === 'register')).toBe(true);
    expect(events.filter((e) => e.type === 'broker.registration' && e.reason === 'OwnershipTokenExpired').length).toBe(expired.length);
    // Starting over later, every device ends up rotated.
    expect(new Set(rotations(events, 'fleet-provisioning').map((e) => e.device)).size).toBe(6);
  }, 120_000);
});

describe('job-driven rotation on the AWS IoT Jobs MQTT API', () => {
  it('starts a job 10 days before expiry, the device renews and reports SUCCEEDED, the backend confirms', async () => {
    const { summary, events } = await run(cohorts('      rotation: { protocol: job, before: 10d }\n'), 6);
    const jobs = events.filter((e) => e.type === 'broker.job');
    const created = jobs.filter((e) => e.status === 'created');
    expect(created.length).toBeGreaterThanOrEqual(6);
    expect(jobs.filter((e) => e.status === 'succeeded').length).toBe(rotations(events, 'job').length);
    expect(rotations(events, 'job').length).toBe(created.length);
    expect(summary.broker.jobsSucceeded).toBe(created.length);
    expect(summary.failures.byCause).toEqual({});
  }, 120_000);

  it('gives the same counts on one worker as on two in two device processes, with jobs pushed as notify-next, jobs found by start-next after a restart, and failed rotations reported', async () => {
    // Devices offline a day in three and a 30-hour broker outage: some jobs reach devices online as notify-next, others
    // wait for the start-next of their next connect.
    const text = cohorts('      rotation: { protocol: job, before: 2d }\n      connectivity: { reconnectEvery: 1d, outages: [{ every: 3d, duration: 1d }] }\n').concat(
      'events:\n  - { type: broker-restart, at: 2030-01-27T06:00:00Z, downFor: 30h }\n',
      // Lost replies and a CA that is down: rotations fail, and devices report their jobs FAILED.
      'faults:\n  - { kind: message-loss, from: 2030-01-05T00:00:00Z, to: 2030-02-25T00:00:00Z, rate: 0.3 }\n  - { kind: ca-unavailable, from: 2030-01-20T00:00:00Z, to: 2030-01-23T00:00:00Z }\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-job-placement-'));
    writeFileSync(join(dir, 'scenario.yaml'), text);
    const loaded = loadScenario(join(dir, 'scenario.yaml'));
    const one = await runScenario({ loaded, devices: 8, outDir: join(dir, 'one'), workers: 1 });
    await runScenario({ loaded, devices: 8, outDir: join(dir, 'spread'), workers: 2, deviceProcesses: 2 });
    expect(one.summary.deliveries.pushed).toBeGreaterThan(0);
    expect(one.summary.deliveries.queued).toBeGreaterThan(0);
    expect(one.summary.broker.jobsSucceeded).toBeGreaterThan(8);
    expect(one.summary.rotations.failed).toBeGreaterThan(0);
    expect(summaryCounts(join(dir, 'spread'))).toEqual(summaryCounts(join(dir, 'one')));
  }, 240_000);
});

describe('server push', () => {
  it('pushes certificate and key 10 days before expiry, and the device installs them', async () => {
    const { summary, events } = await run(cohorts('      rotation: { protocol: push, before: 10d }\n'), 6);
    expect(rotations(events, 'push').length).toBeGreaterThanOrEqual(6);
    expect(rotations(events, 'csr')).toHaveLength(0);
    expect(summary.failures.byCause).toEqual({});
  }, 120_000);
});

describe('devices offline past their certificate lifetime', () => {
  const offline = '      connectivity: { outages: [{ every: 50d, duration: 40d }] }\n';

  it('are locked out with no recovery path', async () => {
    const { summary } = await run(cohorts(offline), 4);
    expect(summary.lockedOut).toBeGreaterThan(0);
  }, 120_000);

  it('re-enrol with their bootstrap identity and end connected', async () => {
    const { summary, events } = await run(withBootstrap(cohorts(`${offline}      recovery: bootstrap\n`)), 4);
    expect(summary.lockedOut).toBe(0);
    expect(events.filter((e) => e.type === 'device.recovery').length).toBeGreaterThan(0);
    expect(rotations(events, 'attestation').length).toBeGreaterThan(0);
    expect(summary.unrecovered.devices).toBe(0);
  }, 120_000);

  it('with attestation renew through the attestation identity and never get locked out', async () => {
    const { summary, events } = await run(withBootstrap(cohorts(`${offline}      rotation: { protocol: attestation }\n`)), 4);
    expect(summary.lockedOut).toBe(0);
    expect(rotations(events, 'attestation').length).toBeGreaterThan(4);
    expect(rotations(events, 'csr')).toHaveLength(0);
  }, 120_000);

  it('renew after expiry inside the CA\'s grace period, and are locked out beyond it', async () => {
    const within = await run(
      cohorts(offline).replace('  deviceAuthorities: [device-root]\n', '  deviceAuthorities: [device-root]\n  renewAfterExpiry: 30d\n'),
      4,
    );
    expect(within.summary.lockedOut).toBe(0);
    const beyond = await run(
      cohorts(offline).replace('  deviceAuthorities: [device-root]\n', '  deviceAuthorities: [device-root]\n  renewAfterExpiry: 1d\n'),
      4,
    );
    expect(beyond.summary.lockedOut).toBeGreaterThan(0);
  }, 120_000);
});
