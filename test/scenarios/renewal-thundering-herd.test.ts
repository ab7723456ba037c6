import { beforeAll, describe, expect, it } from 'vitest';
import { deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { LoadedScenario } from '../../sim/scenario/load-scenario.js';
import { peakPerWindow, runInProcess, scaledTo, shippedScenario, type EventLine } from './rate-limited-run.js';
import { DAY, HOUR } from '../support/time.js';

/**
 * scenarios/renewal-thundering-herd.yaml at 150 devices, its CA and RegisterThing rates scaled with the fleet
 * (0.075/s and 0.05/s for 1,000 devices become 0.01125/s and 0.0075/s), so queue waits and token ages keep their
 * full-size lengths: 90 exact-2/3 devices stand for the 120,000 of the shipped file.
 */
const DEVICES = 150;
const loaded = scaledTo(shippedScenario('renewal-thundering-herd'), DEVICES);
const limits = loaded.scenario.broker.limits;
const SIGN_MS = 1000 / (limits?.issuancePerSecond ?? 1);
const REGISTER_MS = 1000 / (limits?.registrationsPerSecond ?? 1);
const TOKEN_MS = loaded.scenario.broker.ownershipTokenLifetime;

type Run = Awaited<ReturnType<typeof runInProcess>>;

/** When each device of an un-jittered cohort asks for its second certificate (true time, give or take its clock's 2 s). */
function plannedRenewals(scenario: LoadedScenario['scenario'], cohort: string): Map<string, number> {
  const plan = planFleet(scenario, { seed: scenario.seed, devices: scenario.fleet.devices });
  const { backdate, lifetime } = scenario.pki.deviceCertificates;
  const index = scenario.fleet.cohorts.findIndex((c) => c.name === cohort);
  const at = scenario.fleet.cohorts[index]?.renewal.at ?? Number.NaN;
  const planned = new Map<string, number>();
  for (const device of plan.devices.filter((d) => d.cohort === index)) {
    const issued = deviceProfile(plan, device).firstIssuedAt;
    planned.set(device.id, issued - backdate + Math.floor((lifetime + backdate) * at));
  }
  return planned;
}

function firstPerDevice(events: readonly EventLine[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const e of events) if (e.device && !first.has(e.device)) first.set(e.device, e.t);
  return first;
}

const ofCohort = (run: Run, cohort: string) => run.events.filter((e) => e.cohort === cohort);
const rotations = (events: readonly EventLine[]) => events.filter((e) => e.type === 'device.rotation' && e.outcome === 'succeeded').map((e) => e.t);
const tokenExpiries = (events: readonly EventLine[]) => events.filter((e) => e.type === 'device.rotation' && e.cause === 'ownership_token_expired');
const spread = (times: readonly number[]) => Math.max(...times) - Math.min(...times);
/** How late the CA signed each device's first CSR after it asked. */
function signingDelays(run: Run, planned: Map<string, number>): number[] {
  const signed = firstPerDevice(run.events.filter((e) => e.type === 'broker.issuance' && e.ok && planned.has(e.device ?? '')));
  return [...signed].map(([device, t]) => t - (planned.get(device) ?? Number.NaN));
}
/** Issuances the CA served straight after the previous one: those requests had waited in its queue. */
function queuedIssuances(run: Run): Set<string> {
  const issued = run.events.filter((e) => e.type === 'broker.issuance').sort((a, b) => a.t - b.t);
  return new Set(issued.filter((e, i) => i > 0 && e.t - (issued[i - 1]?.t ?? 0) <= SIGN_MS + 1).map((e) => `${e.device}@${e.t}`));
}

describe('renewal-thundering-herd.yaml: one lot signed in ten minutes, three renewal policies, one CA', () => {
  let run: Run;
  let exactPlanned: Map<string, number>;
  beforeAll(async () => {
    run = await runInProcess(loaded);
    exactPlanned = plannedRenewals(loaded.scenario, 'exact-2-3');
  }, 120_000);

  it('renews every device of every cohort in the end, with no lock-out', () => {
    const renewed = new Set(run.events.filter((e) => e.type === 'device.rotation' && e.outcome === 'succeeded').map((e) => e.device));
    expect(renewed.size).toBe(DEVICES);
    expect(run.summary.rotations.succeeded).toBe(DEVICES);
    expect(run.summary.lockedOut).toBe(0);
  });

  it('has the exact-2/3 cohort ask within ten minutes, and the CA sign its CSRs one per slot, the last about 2 hours late', () => {
    const asked = [...exactPlanned.values()];
    expect(exactPlanned.size).toBe(0.6 * DEVICES);
    expect(spread(asked)).toBeLessThanOrEqual(10 * 60_000);
    const delays = signingDelays(run, exactPlanned);
    expect(delays).toHaveLength(exactPlanned.size);
    // Clock readings are within 2 s of true time (20 ppm, synchronised daily).
    expect(Math.min(...delays)).toBeGreaterThan(-2_000);
    expect(Math.max(...delays)).toBeGreaterThanOrEqual((exactPlanned.size - 1) * SIGN_MS - 10 * 60_000);
    const queued = queuedIssuances(run);
    // Every first CSR of the herd but the very first waited behind another one.
    const firsts = [...firstPerDevice(run.events.filter((e) => e.type === 'broker.issuance' && e.cohort === 'exact-2-3'))];
    expect(firsts.filter(([device, t]) => queued.has(`${device}@${t}`)).length).toBeGreaterThanOrEqual(exactPlanned.size - 2);
  });

  it('completes the exact-2/3 rotations one RegisterThing slot apart: spread over hours, at the registration rate', () => {
    const done = rotations(ofCohort(run, 'exact-2-3'));
    expect(spread(done)).toBeGreaterThanOrEqual((exactPlanned.size - 1) * REGISTER_MS);
    expect(spread(done)).toBeLessThan(DAY);
    expect(peakPerWindow(done, HOUR)).toBeGreaterThanOrEqual(0.9 * (HOUR / REGISTER_MS));
    expect(peakPerWindow(done, HOUR)).toBeLessThanOrEqual(HOUR / REGISTER_MS + 1);
  });

  it('lets the ownership tokens of the last tenth of the herd expire, the last ones the CA signed, and their retries add calls', () => {
    const exact = ofCohort(run, 'exact-2-3');
    const expired = new Set(tokenExpiries(exact).map((e) => e.device));
    // The k-th token waits k x (1/registrations - 1/issuance) before RegisterThing serves it: past one hour from
    // k = 3,600 s / (133.3 s - 88.9 s) = 81 of 90, the same last tenth as 108,000 of 120,000 at full size.
    expect(expired.size).toBeGreaterThanOrEqual(0.05 * exactPlanned.size);
    expect(expired.size).toBeLessThanOrEqual(0.2 * exactPlanned.size);
    const firstSigned = firstPerDevice(exact.filter((e) => e.type === 'broker.issuance'));
    const signedAt = (kept: boolean) => [...firstSigned].filter(([d]) => expired.has(d) !== kept).map(([, t]) => t);
    expect(Math.min(...signedAt(false))).toBeGreaterThan(Math.max(...signedAt(true)));
    const rejected = run.events.filter((e) => e.type === 'broker.registration' && !e.ok);
    expect(rejected.every((e) => e.reason === 'OwnershipTokenExpired')).toBe(true);
    // Each attempt is one signature then one RegisterThing call: refused exactly when it came over an hour later.
    for (const device of new Set(run.events.map((e) => e.device))) {
      const signed = run.events.filter((e) => e.type === 'broker.issuance' && e.device === device).map((e) => e.t).sort((a, b) => a - b);
      const registered = run.events.filter((e) => e.type === 'broker.registration' && e.device === device).sort((a, b) => a.t - b.t);
      expect(registered).toHaveLength(signed.length);
      registered.forEach((r, i) => expect(r.t - (signed[i] ?? Number.NaN) > TOKEN_MS, `${device} attempt ${i + 1}`).toBe(!r.ok));
    }
    expect(rejected.length).toBe(tokenExpiries(run.events).length);
    // Retry amplification: every expiry cost another CSR, signature and RegisterThing call.
    expect(run.events.filter((e) => e.type === 'broker.issuance').length).toBe(DEVICES + rejected.length);
    expect(run.summary.rotations.failuresByCause.ownership_token_expired?.count).toBe(rejected.length);
    expect(run.summary.rotations.failuresByCause.ownership_token_expired?.count).toBeGreaterThanOrEqual(expired.size);
  });

  it('keeps the jittered and ARI cohorts spread over weeks and days, served at once, a few rotations an hour at most', () => {
    const queued = queuedIssuances(run);
    const herd = rotations(ofCohort(run, 'exact-2-3'));
    const inHerd = (t: number) => t >= Math.min(...herd) - HOUR && t <= Math.max(...herd);
    const expectedSpread = { 'jitter-5pct': 20 * DAY, 'ari-window': 4 * DAY };
    for (const cohort of ['jitter-5pct', 'ari-window'] as const) {
      const events = ofCohort(run, cohort);
      const done = rotations(events);
      expect(done, cohort).toHaveLength(0.2 * DEVICES);
      expect(spread(done), cohort).toBeGreaterThanOrEqual(expectedSpread[cohort]);
      expect(peakPerWindow(done, HOUR), cohort).toBeLessThanOrEqual(4);
      const outside = events.filter((e) => !inHerd(e.t));
      expect(outside.filter((e) => e.type === 'broker.issuance' && queued.has(`${e.device}@${e.t}`)), cohort).toEqual([]);
      expect(tokenExpiries(outside), cohort).toEqual([]);
    }
    // The ARI window, 68% to 70% of the lifetime: 2025-11-06T10:28Z to 2025-11-13T17:42Z.
    const ari = rotations(ofCohort(run, 'ari-window'));
    expect(Math.min(...ari)).toBeGreaterThanOrEqual(Date.parse('2025-11-06T10:28:48Z') - 2_000);
    expect(Math.max(...ari)).toBeLessThanOrEqual(Date.parse('2025-11-13T17:42:00Z') + 2_000 + SIGN_MS + REGISTER_MS);
    expect(peakPerWindow(herd, HOUR)).toBeGreaterThan(5 * peakPerWindow(ari, HOUR));
  });

  it('signs and registers the same devices at the same times, with the same per-cause counts, on a second run', async () => {
    const again = await runInProcess(loaded);
    const backend = (r: Run) =>
      r.events.filter((e) => e.type === 'broker.issuance' || e.type === 'broker.registration').map((e) => `${e.type}:${e.device}@${e.t}:${String(e.ok)}`);
    expect(backend(again)).toEqual(backend(run));
    expect(again.summary.rotations.failuresByCause).toEqual(run.summary.rotations.failuresByCause);
    expect(again.summary.failures).toEqual(run.summary.failures);
  }, 120_000);
});

describe('the same lot signed as it was built, over one week', () => {
  it('renews over a week as well: the CA never falls behind and no token expires', async () => {
    const weekLong: LoadedScenario = {
      ...loaded,
      scenario: {
        ...loaded.scenario,
        pki: {
          ...loaded.scenario.pki,
          deviceCertificates: { ...loaded.scenario.pki.deviceCertificates, issued: { from: Date.parse('2025-03-03T00:00:00Z'), to: Date.parse('2025-03-10T00:00:00Z') } },
        },
      },
    };
    const week = await runInProcess(weekLong);
    const planned = plannedRenewals(weekLong.scenario, 'exact-2-3');
    expect(spread([...planned.values()])).toBeGreaterThan(6 * DAY);
    const delays = signingDelays(week, planned);
    expect(delays).toHaveLength(planned.size);
    // At most a brief wait behind a neighbour that asked in the same minute.
    expect(Math.max(...delays)).toBeLessThan(2 * SIGN_MS);
    expect(tokenExpiries(week.events)).toEqual([]);
    expect(spread(rotations(ofCohort(week, 'exact-2-3')))).toBeGreaterThan(6 * DAY);
    expect(week.summary.rotations.succeeded).toBe(DEVICES);
  }, 120_000);
});
