import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { readEventLines, type DeviceEventLine } from '../support/event-lines.js';
import { DAY } from '../support/time.js';

const FILE = fileURLToPath(new URL('../../scenarios/offline-months-grace.yaml', import.meta.url));
const WITHOUT_GRACE = fileURLToPath(new URL('../../scenarios/offline-months.yaml', import.meta.url));
const DEVICES = 150;
const LIFETIME = 365 * DAY;
const GRACE = 30 * DAY;

/** A certificate's notAfter as the CA writes it: issue time plus the lifetime, in whole seconds. */
const notAfterOf = (issuedAt: number) => Math.floor((issuedAt + LIFETIME) / 1000) * 1000;

describe('offline-months-grace: the offline-months fleet with a 30-day renew-after-expiry grace, 150 devices', () => {
  let summary: RunSummary;
  let events: DeviceEventLine[];
  /** Rotations that succeeded after the certificate they replaced had expired: how late, and how. */
  const lateRotations: { device: string; cohort: string; method: string; late: number }[] = [];

  beforeAll(async () => {
    const loaded = loadScenario(FILE);
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-grace-')), 'run');
    ({ summary } = await runScenario({ loaded, devices: DEVICES, outDir, workers: 1 }));
    events = readEventLines<DeviceEventLine>(join(outDir, 'events.ndjson'));
    // Follow each device's certificates: the factory's, then one per successful rotation.
    const plan = planFleet(loaded.scenario, { seed: loaded.scenario.seed, devices: DEVICES });
    for (const device of plan.devices) {
      const profile = deviceProfile(plan, device);
      let expiresAt = notAfterOf(profile.firstIssuedAt);
      for (const e of events.filter((x) => x.type === 'device.rotation' && x.device === device.id && x.outcome === 'succeeded')) {
        if (e.t > expiresAt) lateRotations.push({ device: device.id, cohort: e.cohort, method: e.method ?? '', late: e.t - expiresAt });
        expiresAt = notAfterOf(e.t);
      }
    }
  }, 120_000);

  it('is offline-months.yaml with renewAfterExpiry: 30d and nothing else changed', () => {
    const strip = (s: Scenario) => ({ ...s, name: '', description: '', broker: { ...s.broker, renewAfterExpiry: undefined } });
    const grace = loadScenario(FILE).scenario;
    expect(grace.broker.renewAfterExpiry).toBe(GRACE);
    expect(loadScenario(WITHOUT_GRACE).scenario.broker.renewAfterExpiry).toBeUndefined();
    expect(strip(grace)).toEqual(strip(loadScenario(WITHOUT_GRACE).scenario));
  });

  it('renews on return a seasonal device back within 30 days of expiry, claim certificate or not', () => {
    const graced = lateRotations.filter((r) => r.method === 'csr');
    expect(graced.filter((r) => r.cohort === 'seasonal-180d').length).toBeGreaterThan(0);
    expect(graced.filter((r) => r.cohort === 'seasonal-180d-bootstrap').length).toBeGreaterThan(0);
    for (const r of graced) {
      expect(r.late).toBeLessThanOrEqual(GRACE);
      expect(['seasonal-180d', 'seasonal-180d-bootstrap']).toContain(r.cohort);
    }
  });

  it('refuses only devices back more than 30 days after expiry: locked out without a claim certificate, re-enrolled with one', () => {
    const lockouts = events.filter((e) => e.type === 'device.locked-out');
    const recoveries = events.filter((e) => e.type === 'device.recovery');
    expect(lockouts.filter((e) => e.cohort === 'seasonal-180d').length).toBeGreaterThan(0);
    for (const e of [...lockouts, ...recoveries]) expect(e.t - (e.certificateExpiredAt ?? 0)).toBeGreaterThan(GRACE);
    // Every refusal ends in one or the other, and every re-enrolment is an attestation rotation beyond the grace.
    const refusals = events.filter((e) => e.type === 'broker.admission');
    expect(refusals.every((e) => e.cause === 'expired_leaf')).toBe(true);
    expect(refusals).toHaveLength(lockouts.length + recoveries.length);
    const reEnrolled = lateRotations.filter((r) => r.method === 'attestation');
    expect(reEnrolled).toHaveLength(recoveries.length);
    expect(reEnrolled.every((r) => r.late > GRACE)).toBe(true);
  });

  it('never reaches the warehouse devices, away 400 days', () => {
    for (const [cohort, type] of [
      ['warehouse-400d', 'device.locked-out'],
      ['warehouse-400d-bootstrap', 'device.recovery'],
    ] as const) {
      const size = summary.cohorts[cohort]?.devices ?? 0;
      expect(size).toBeGreaterThan(0);
      expect(new Set(events.filter((e) => e.type === type && e.cohort === cohort).map((e) => e.device)).size).toBe(size);
      expect(lateRotations.filter((r) => r.cohort === cohort && r.method === 'csr')).toEqual([]);
    }
  });

  it('leaves the devices away for less than the window untouched', () => {
    for (const cohort of ['always-online', 'offline-episodes', 'stored-90d']) {
      expect(summary.failures.byCohort[cohort]).toEqual({});
      expect(summary.cohorts[cohort]?.lockedOut).toBe(0);
    }
    expect(lateRotations.filter((r) => ['always-online', 'offline-episodes', 'stored-90d'].includes(r.cohort))).toEqual([]);
  });
});
