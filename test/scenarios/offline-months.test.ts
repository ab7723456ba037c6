import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { readEventLines, type DeviceEventLine } from '../support/event-lines.js';
import { DAY } from '../support/time.js';

const FILE = fileURLToPath(new URL('../../scenarios/offline-months.yaml', import.meta.url));
const DEVICES = 150;

interface AuditLine {
  time: string;
  check: string;
  resources: string[];
}

/** Each device's outages as [from, to) intervals in true time, from the plan (pure, as the run draws them). */
function outagesOf(devices: number): Map<string, [number, number][]> {
  const loaded = loadScenario(FILE);
  const { scenario } = loaded;
  const plan = planFleet(scenario, { seed: scenario.seed, devices });
  const out = new Map<string, [number, number][]>();
  for (const device of plan.devices) {
    const profile = deviceProfile(plan, device);
    const intervals: [number, number][] = [];
    profile.cohort.connectivity.outages.forEach((o, i) => {
      for (let from = scenario.timeline.start + (profile.outagePhases[i] ?? 0); from < scenario.timeline.end; from += o.every) {
        intervals.push([from, from + o.duration]);
      }
    });
    out.set(device.id, intervals);
  }
  return out;
}

describe('offline-months: 150 devices, one-year certificates renewed at 2/3, offline for days to over a year', () => {
  let summary: RunSummary;
  let events: DeviceEventLine[];
  let audits: AuditLine[];
  let outages: Map<string, [number, number][]>;
  const ofCohort = (type: string, cohort: string) => events.filter((e) => e.type === type && e.cohort === cohort);
  /** The outage that ends at t (the device comes back and connects at once). */
  const outageEndingAt = (device: string, t: number) => outages.get(device)?.find(([, to]) => to === t);

  beforeAll(async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-offline-')), 'run');
    ({ summary } = await runScenario({ loaded: loadScenario(FILE), devices: DEVICES, outDir, workers: 1 }));
    const lines = (file: string) => readFileSync(join(outDir, file), 'utf8').trim().split('\n').filter(Boolean);
    events = readEventLines<DeviceEventLine>(join(outDir, 'events.ndjson'));
    audits = lines('audits.ndjson').map((line) => JSON.parse(line) as AuditLine);
    outages = outagesOf(DEVICES);
  }, 120_000);

  it('never fails a device that is away for less than the 122 days between renewal point and expiry', () => {
    for (const cohort of ['always-online', 'offline-episodes', 'stored-90d']) {
      expect(summary.failures.byCohort[cohort]).toEqual({});
      expect(summary.cohorts[cohort]?.rotations.failed).toBe(0);
      expect(summary.cohorts[cohort]?.lockedOut).toBe(0);
    }
    // Always online: renewals in February and October 2026, June 2027 and (for most) February 2028.
    const perDevice = new Map<string, number>();
    for (const e of ofCohort('device.rotation', 'always-online')) perDevice.set(e.device, (perDevice.get(e.device) ?? 0) + 1);
    expect(perDevice.size).toBe(summary.cohorts['always-online']?.devices);
    expect([...perDevice.values()].every((n) => n === 3 || n === 4)).toBe(true);
  });

  it('locks out a seasonal device without a claim certificate when one outage covers a whole renewal window', () => {
    const lockouts = ofCohort('device.locked-out', 'seasonal-180d');
    expect(lockouts.length).toBeGreaterThan(0);
    expect(summary.cohorts['seasonal-180d']?.lockedOut).toBe(lockouts.length);
    for (const e of lockouts) {
      // Refused on return from an outage during which the certificate expired, 0 to 58 days before.
      const outage = outageEndingAt(e.device, e.t);
      expect(outage).toBeDefined();
      const expiredAt = e.certificateExpiredAt ?? 0;
      expect(expiredAt).toBeGreaterThan(outage?.[0] ?? Infinity);
      expect(e.t - expiredAt).toBeLessThanOrEqual(58 * DAY);
    }
    const refused = summary.failures.byCohort['seasonal-180d']?.['broker:expired_leaf'];
    expect(refused?.devices).toBe(lockouts.length);
  });

  it('lists a locked-out device as DEVICE_CERT_EXPIRING from 30 days before its expiry to the end of the run', () => {
    const lockouts = events.filter((e) => e.type === 'device.locked-out');
    const expiring = audits.filter((a) => a.check === 'DEVICE_CERT_EXPIRING');
    for (const e of lockouts) {
      const expiredAt = e.certificateExpiredAt ?? 0;
      const listing = expiring.filter((a) => a.resources.includes(e.device)).map((a) => Date.parse(a.time));
      expect(Math.min(...listing)).toBeGreaterThanOrEqual(expiredAt - 30 * DAY);
      expect(Math.min(...listing)).toBeLessThan(expiredAt - 29 * DAY);
    }
    expect(lockouts.length).toBeGreaterThan(0);
    expect(summary.audits.checks.DEVICE_CERT_EXPIRING?.final).toEqual(expect.arrayContaining(lockouts.map((e) => e.device)));
  });

  it('re-enrols a seasonal device with its claim certificate at every refusal, and never locks it out', () => {
    const refusals = ofCohort('broker.admission', 'seasonal-180d-bootstrap');
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal.cause).toBe('expired_leaf');
      expect(outageEndingAt(refusal.device, refusal.t)).toBeDefined();
      const at = (type: string) => events.filter((e) => e.type === type && e.device === refusal.device && e.t === refusal.t);
      expect(at('device.recovery')).toHaveLength(1);
      expect(at('device.rotation').filter((e) => e.outcome === 'succeeded' && e.method === 'attestation')).toHaveLength(1);
    }
    expect(summary.cohorts['seasonal-180d-bootstrap']?.lockedOut).toBe(0);
  });

  it('brings every warehouse device back expired: locked out without a claim certificate, re-enrolled with one', () => {
    const size = summary.cohorts['warehouse-400d']?.devices ?? 0;
    expect(size).toBeGreaterThan(0);
    const lockouts = ofCohort('device.locked-out', 'warehouse-400d');
    expect(new Set(lockouts.map((e) => e.device)).size).toBe(size);
    // Away 400 days with a certificate that had at most 365 left.
    for (const e of lockouts) expect(e.t - (e.certificateExpiredAt ?? 0)).toBeGreaterThanOrEqual(35 * DAY);
    const bootstrapSize = summary.cohorts['warehouse-400d-bootstrap']?.devices ?? 0;
    expect(bootstrapSize).toBeGreaterThan(0);
    expect(new Set(ofCohort('device.recovery', 'warehouse-400d-bootstrap').map((e) => e.device)).size).toBe(bootstrapSize);
    expect(summary.cohorts['warehouse-400d-bootstrap']?.lockedOut).toBe(0);
  });

  it('ends with exactly the locked-out devices unable to connect', () => {
    const lockedOut = events.filter((e) => e.type === 'device.locked-out').map((e) => e.device);
    expect(summary.lockedOut).toBe(lockedOut.length);
    expect(summary.unrecovered.byCause).toEqual({ 'broker:expired_leaf': lockedOut.length });
    expect(summary.unrecovered.list.map((u) => u.device).sort()).toEqual(lockedOut.sort());
  });
});
