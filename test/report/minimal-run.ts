/**
 * A small, valid run folder (summary.json and manifest.json as certfleet run writes them) for report tests that
 * need no real run: two cohorts, four daily samples, one expiry marker, two unrecovered devices.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tally = (count: number, devices: number) => ({ count, devices, first: '2030-01-01T00:00:01.000Z', last: '2030-01-03T12:00:00.000Z' });

export function minimalSummary() {
  const t = (day: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + day * 86_400_000).toISOString();
  return {
    complete: true,
    scenario: 'minimal',
    seed: 7,
    devices: 4,
    timeline: { start: t(0), end: t(4), reached: t(4) },
    wall: { seconds: 1.5, epochs: 16 },
    rotations: {
      attempted: 3,
      succeeded: 3,
      failed: 0,
      failuresByCause: {},
      throughputPerWallSecond: 2,
      latencyMs: { count: 3, p50: 20, p95: 40, p99: 40, max: 40, distribution: [{ ms: 20, cumulative: 2 }, { ms: 40, cumulative: 3 }] },
    },
    connects: { attempted: 20, succeeded: 12, perWallSecond: 13.3, latencyMs: { count: 12, p50: 9, p95: 20, p99: 20, max: 20 }, refusedByBroker: 0 },
    failures: { byCause: { 'device:expired_root': tally(8, 2) }, byCohort: { steady: {}, strict: { 'device:expired_root': tally(8, 2) } } },
    cohorts: {
      steady: { devices: 2, connects: { attempted: 8, succeeded: 8 }, rotations: { attempted: 2, succeeded: 2, failed: 0, failuresByCause: {} }, lockedOut: 0, trustUpdates: {} },
      strict: { devices: 2, connects: { attempted: 12, succeeded: 4 }, rotations: { attempted: 1, succeeded: 1, failed: 0, failuresByCause: {} }, lockedOut: 0, trustUpdates: {} },
    },
    lockedOut: 0,
    unrecovered: {
      devices: 2,
      byCause: { 'device:expired_root': 2 },
      list: [
        { device: 'device-2', cohort: 'strict', cause: 'device:expired_root', since: t(1) },
        { device: 'device-3', cohort: 'strict', cause: 'device:expired_root', since: t(1) },
      ],
    },
    broker: { admitted: 12, refused: {}, issued: 3, issuanceRejected: 0, registrationsRejected: 0, jobsCreated: 0, jobsSucceeded: 0, topicDenied: 0, malformedRequests: {}, timeClaimsRefused: {}, requestFailures: 0, tlsErrors: 0 },
    deliveries: { pushed: 0, queued: 0 },
    availability: {
      samples: [1, 2, 3, 4].map((day) => ({
        t: t(day),
        connected: day === 1 ? 1 : 0.5,
        failing: day === 1 ? 0 : 0.5,
        offline: 0,
        renewalBacklog: 0,
        cohorts: { steady: 1, strict: day === 1 ? 1 : 0 },
      })),
      lowest: { t: t(2), connected: 0.5 },
      final: { t: t(4), connected: 0.5, failing: 0.5, offline: 0, renewalBacklog: 0, cohorts: { steady: 1, strict: 0 } },
    },
    activity: [1, 2, 3, 4].map((day) => ({ t: t(day), rotationsSucceeded: day === 1 ? 3 : 0, rotationsFailed: 0, failures: day === 2 ? { 'device:expired_root': 8 } : {} })),
    markers: [{ t: t(1), kind: 'expiry', certificate: { name: 'root-a', role: 'root' }, label: 'root root-a expires' }],
    audits: {
      settings: { deviceCertificateExpiringDays: 30, caCertificateExpiringDays: 30 },
      checks: {
        CA_CERT_EXPIRING: { severity: 'Medium', mirrors: 'CA_CERTIFICATE_EXPIRING_CHECK', max: 1, firstFound: t(1), final: [], series: [1, 2, 3, 4].map((day) => ({ t: t(day), count: day === 1 ? 1 : 0 })) },
      },
    },
    harness: { speed: 'max', lateEpochs: 0, maxLagMs: 0, finalLagMs: 0 },
    thresholds: [
      { name: 'lockedOut == 0', check: 'lockedOut == 0', metric: 'lockedOut', unit: 'count', op: '==', expected: 0, actual: 0, passed: true },
      { name: 'availability.min >= 99%', check: 'availability.min >= 99%', metric: 'availability.min', unit: 'share', op: '>=', expected: 0.99, actual: 0.5, passed: false },
    ],
    thresholdsPassed: false,
    gated: true,
  };
}

export function minimalManifest() {
  return {
    tool: { name: 'certfleet', version: '0.1.0', commit: '0123456789abcdef0123456789abcdef01234567' },
    node: 'v20.20.2',
    openssl: '3.0.17',
    machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 8, platform: 'linux-x64' },
    scenario: { name: 'minimal', file: 'scenarios/minimal.yaml', sha256: 'a'.repeat(64) },
    seed: 7,
    devices: 4,
    workers: 1,
    deviceProcesses: 1,
    startedAt: '2026-11-29T12:00:00.000Z',
  };
}

/** A run folder in a fresh temporary directory, with the two files as given (or as minimal ones). */
export function writeRunFolder(files: { summary?: unknown; manifest?: unknown; summaryText?: string } = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'certfleet-report-')), 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'summary.json'), files.summaryText ?? JSON.stringify(files.summary ?? minimalSummary()));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(files.manifest ?? minimalManifest()));
  return dir;
}
