import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import { readEventLines, type DeviceEventLine } from '../support/event-lines.js';

const FILE = fileURLToPath(new URL('../../scenarios/revocation.yaml', import.meta.url));
const DEVICES = 40;
const DEVICES_REVOKED_AT = Date.parse('2026-03-03T00:00:00Z');
const INTERMEDIATE_REVOKED_AT = Date.parse('2026-04-05T00:00:00Z');

interface AuditLine {
  time: string;
  check: string;
  resources: string[];
}

describe('revocation: 40 devices, a few device certificates revoked, then the issuing intermediate', () => {
  let summary: RunSummary;
  let events: DeviceEventLine[];
  let audits: AuditLine[];
  /** The devices whose certificates the 2026-03-03 events revoke, per cohort (the plan is pure). */
  const revoked: Record<string, string> = {};
  const allDevices: string[] = [];
  const of = (device: string, type: string) => events.filter((e) => e.device === device && e.type === type);
  const brokerCauseAt = (device: string, t: number) => events.find((e) => e.type === 'broker.admission' && e.device === device && e.t === t)?.cause;

  beforeAll(async () => {
    const loaded = loadScenario(FILE);
    const plan = planFleet(loaded.scenario, { seed: loaded.scenario.seed, devices: DEVICES });
    allDevices.push(...plan.devices.map((d) => d.id));
    const cohortOf = new Map(plan.devices.map((d) => [d.id, loaded.scenario.fleet.cohorts[d.cohort]?.name ?? '']));
    for (const event of plan.brokerEvents) {
      if (event.kind !== 'revoke-devices') continue;
      expect(event.deviceIds).toHaveLength(1);
      const [device = ''] = event.deviceIds;
      revoked[cohortOf.get(device) ?? ''] = device;
    }
    const outDir = join(mkdtempSync(join(tmpdir(), 'certfleet-revocation-')), 'run');
    ({ summary } = await runScenario({ loaded, devices: DEVICES, outDir, workers: 1 }));
    const lines = (file: string) => readFileSync(join(outDir, file), 'utf8').trim().split('\n').filter(Boolean);
    events = readEventLines<DeviceEventLine>(join(outDir, 'events.ndjson'));
    audits = lines('audits.ndjson').map((line) => JSON.parse(line) as AuditLine);
  }, 120_000);

  it('revokes one certificate in each cohort', () => {
    expect(Object.keys(revoked).sort()).toEqual(['claim-cert', 'standard']);
    expect(events.filter((e) => e.type === 'broker.revocation').map((e) => e.t)).toEqual([DEVICES_REVOKED_AT, DEVICES_REVOKED_AT, INTERMEDIATE_REVOKED_AT]);
  });

  it('drops a revoked device\'s session at the revocation and refuses it with revoked from then on', () => {
    for (const device of Object.values(revoked)) {
      const attempts = of(device, 'device.connect').filter((e) => e.t >= DEVICES_REVOKED_AT);
      const first = attempts[0];
      expect(first?.cause).toBe('connection_refused');
      expect(brokerCauseAt(device, first?.t ?? 0)).toBe('revoked');
      // The session ended at the revocation: the first retry comes within the reconnect backoff, not a day later.
      expect((first?.t ?? Infinity) - DEVICES_REVOKED_AT).toBeLessThan(86_400_000);
    }
    // Without a way to re-enrol, every attempt until the certificate expires is refused as revoked.
    const standard = revoked.standard ?? '';
    const expiredAt = of(standard, 'device.locked-out')[0]?.certificateExpiredAt ?? 0;
    const beforeExpiry = of(standard, 'device.connect').filter((e) => e.t >= DEVICES_REVOKED_AT && e.t <= expiredAt);
    expect(beforeExpiry.length).toBeGreaterThan(3);
    for (const e of beforeExpiry) expect(brokerCauseAt(standard, e.t)).toBe('revoked');
  });

  it('locks out the revoked device without a claim certificate at the first retry after expiry', () => {
    const device = revoked.standard ?? '';
    const [lockout] = of(device, 'device.locked-out');
    expect(lockout).toBeDefined();
    expect(brokerCauseAt(device, lockout?.t ?? 0)).toBe('expired_leaf');
    expect(of(device, 'device.connect').filter((e) => e.t > (lockout?.t ?? 0))).toEqual([]);
    expect(summary.cohorts.standard?.lockedOut).toBe(1);
  });

  it('re-enrols the revoked device with its claim certificate after three refusals, long before the revoked one expires', () => {
    const device = revoked['claim-cert'] ?? '';
    const recoveries = of(device, 'device.recovery').filter((e) => e.t < INTERMEDIATE_REVOKED_AT);
    expect(recoveries).toHaveLength(1);
    const t = recoveries[0]?.t ?? 0;
    expect(t).toBeLessThan(recoveries[0]?.certificateExpiredAt ?? 0);
    const refusedBefore = of(device, 'device.connect').filter((e) => e.t >= DEVICES_REVOKED_AT && e.t <= t && e.cause === 'connection_refused');
    expect(refusedBefore.map((e) => brokerCauseAt(device, e.t))).toEqual(['revoked', 'revoked', 'revoked']);
    expect(of(device, 'device.rotation').filter((e) => e.t === t && e.outcome === 'succeeded' && e.method === 'attestation')).toHaveLength(1);
    // Back in until the intermediate goes.
    const between = of(device, 'device.connect').filter((e) => e.t > t && e.t < INTERMEDIATE_REVOKED_AT);
    expect(between.length).toBeGreaterThan(0);
    expect(between.every((e) => e.cause === 'ok')).toBe(true);
    expect(summary.cohorts['claim-cert']?.lockedOut).toBe(0);
  });

  it('refuses nobody else before the intermediate is revoked', () => {
    const refused = new Set(events.filter((e) => e.type === 'broker.admission' && e.t < INTERMEDIATE_REVOKED_AT).map((e) => e.device));
    expect([...refused].sort()).toEqual(Object.values(revoked).sort());
  });

  it('flags the revoked certificates as still active until they are replaced', () => {
    const recoveredAt = of(revoked['claim-cert'] ?? '', 'device.recovery')[0]?.t ?? 0;
    const findings = audits.filter((a) => a.check === 'REVOKED_DEVICE_CERT_STILL_ACTIVE');
    expect(findings.length).toBeGreaterThan(0);
    expect(Math.min(...findings.map((a) => Date.parse(a.time)))).toBe(DEVICES_REVOKED_AT + 86_400_000);
    for (const a of findings) {
      const expected = Date.parse(a.time) < recoveredAt ? Object.values(revoked) : [revoked.standard];
      expect(a.resources.sort()).toEqual(expected.sort());
    }
    expect(findings.at(-1)?.time).toBe(summary.audits.checks.REVOKED_DEVICE_CERT_STILL_ACTIVE?.series.at(-1)?.t);
    expect(summary.audits.checks.REVOKED_DEVICE_CERT_STILL_ACTIVE?.final).toEqual([revoked.standard]);
  });

  it('flags every device under the revoked intermediate from the first audit after it, as Critical', () => {
    const findings = audits.filter((a) => a.check === 'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTS');
    expect(findings.length).toBeGreaterThan(0);
    expect(Math.min(...findings.map((a) => Date.parse(a.time)))).toBeGreaterThan(INTERMEDIATE_REVOKED_AT);
    for (const a of findings) expect(a.resources.sort()).toEqual([...allDevices].sort());
    expect(summary.audits.checks.INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTS?.severity).toBe('Critical');
  });

  it('refuses every device after the intermediate is revoked, renewals included, and ends with the fleet down', () => {
    const after = events.filter((e) => e.t >= INTERMEDIATE_REVOKED_AT);
    // Every operational connect is refused (re-enrolment sessions on the claim certificate get in, and get nothing).
    const connects = after.filter((e) => e.type === 'device.connect' && (e as { identity?: string }).identity !== 'bootstrap');
    expect(connects.every((e) => e.cause === 'connection_refused')).toBe(true);
    expect(after.filter((e) => e.type === 'broker.admission').every((e) => e.cause === 'revoked' || e.cause === 'expired_leaf')).toBe(true);
    // The CA refuses to sign under its revoked intermediate: no certificate is issued after it.
    expect(events.filter((e) => e.type === 'broker.issuance' && e.ok === true && e.t >= INTERMEDIATE_REVOKED_AT)).toEqual([]);
    expect(events.filter((e) => e.type === 'device.rotation' && e.outcome === 'succeeded' && e.t >= INTERMEDIATE_REVOKED_AT)).toEqual([]);
    expect(summary.unrecovered.devices).toBe(DEVICES);
    expect(summary.availability.final?.connected).toBe(0);
  });
});
