import { describe, expect, it } from 'vitest';
import { clockModel, deviceProfile } from '../../sim/plan/device-profile.js';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import { SeededRandom } from '../../sim/random/seeded-random.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import { DAY } from '../support/time.js';

const T = (iso: string): number => Date.parse(iso);
const START = T('2030-01-01T00:00:00Z');

const PROFILE_SCENARIO = `
name: profile-test
description: Cohorts with drift ranges, fixed clocks, boots, jumps and outages.
timeline:
  start: 2030-01-01T00:00:00Z
  end: 2030-06-01T00:00:00Z
pki:
  authorities:
    - name: root
      subject: { CN: Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
  serverCertificates:
    - name: broker
      issuer: root
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2031-01-01T00:00:00Z
  deviceCertificates:
    issuer: root
    lifetime: 90d
broker:
  serverCertificate: broker
  deviceAuthorities: [root]
fleet:
  devices: 400
  cohorts:
    - name: drifting
      share: 0.5
      trustStore: { anchors: [root] }
      clock: { driftPpm: { min: -20, max: 20 }, syncEvery: 24h }
      renewal: { at: 2/3 }
      connectivity: { outages: [{ every: 7d, duration: 36h }, { every: 30d, duration: 2h }] }
    - name: fixed
      share: 0.5
      trustStore: { anchors: [root] }
      clock:
        offset: -5s
        driftPpm: 7
        boot: { resetTo: 1970-01-01T00:00:00Z, syncAfter: 10m }
        jumps: [{ at: 2030-02-01T00:00:00Z, by: -619315200s }]
      renewal: { at: 80% }
`;

const scenario = parseScenario(PROFILE_SCENARIO, 'test.yaml');
const plan = planFleet(scenario, { seed: 11 });
const profiles = plan.devices.map((d) => deviceProfile(plan, d));
const inCohort = (i: number) => profiles.filter((p) => p.cohortIndex === i);

describe('deviceProfile', () => {
  it('a profile carries the device\'s index, id and cohort', () => {
    plan.devices.forEach((d, i) => {
      expect(profiles[i]).toMatchObject({ index: d.index, id: d.id, cohortIndex: d.cohort });
      expect(profiles[i]?.cohort).toBe(scenario.fleet.cohorts[d.cohort]);
    });
  });

  it('drift is drawn per device inside the cohort\'s range, and differs between devices', () => {
    const drifts = inCohort(0).map((p) => p.clock.driftPpm);
    expect(drifts).toHaveLength(200);
    for (const d of drifts) {
      expect(d).toBeGreaterThanOrEqual(-20);
      expect(d).toBeLessThanOrEqual(20);
    }
    expect(new Set(drifts).size).toBe(200);
    expect(Math.min(...drifts)).toBeLessThan(-15);
    expect(Math.max(...drifts)).toBeGreaterThan(15);
  });

  it('a fixed clock model is copied as is, with durations in ms and "by" as byMs', () => {
    for (const p of inCohort(1)) {
      expect(p.clock).toEqual({
        offsetMs: -5_000,
        driftPpm: 7,
        boot: { resetTo: 0, syncAfterMs: 600_000 },
        syncEveryMs: undefined,
        jumps: [{ at: T('2030-02-01T00:00:00Z'), byMs: -619_315_200_000 }],
      });
    }
    expect(inCohort(0)[0]?.clock.syncEveryMs).toBe(DAY);
    expect(inCohort(0)[0]?.clock.boot).toBeUndefined();
  });

  it('"spread" first issue times fall within one renewal period (at * lifetime) before the timeline start', () => {
    for (const [cohort, at] of [[0, 2 / 3], [1, 0.8]] as const) {
      const times = inCohort(cohort).map((p) => p.firstIssuedAt);
      const period = at * 90 * DAY;
      for (const t of times) {
        expect(t).toBeLessThanOrEqual(START);
        expect(t).toBeGreaterThanOrEqual(Math.floor(START - period));
      }
      // Spread over the period, not bunched.
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(0.9 * period);
    }
  });

  it('a { from, to } window puts every first issue time inside it', () => {
    const from = T('2029-11-01T00:00:00Z');
    const to = T('2029-11-08T00:00:00Z');
    const windowed = parseScenario(PROFILE_SCENARIO.replace('    lifetime: 90d\n', '    lifetime: 90d\n    issued: { from: 2029-11-01T00:00:00Z, to: 2029-11-08T00:00:00Z }\n'), 'test.yaml');
    const p = planFleet(windowed, { seed: 11 });
    const times = p.devices.map((d) => deviceProfile(p, d).firstIssuedAt);
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(from);
      expect(t).toBeLessThanOrEqual(to);
    }
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(6 * DAY);
  });

  it('a window whose ends coincide issues every first certificate at that instant', () => {
    const windowed = parseScenario(PROFILE_SCENARIO.replace('    lifetime: 90d\n', '    lifetime: 90d\n    issued: { from: 2029-11-01T00:00:00Z, to: 2029-11-01T00:00:00Z }\n'), 'test.yaml');
    const p = planFleet(windowed, { seed: 11 });
    expect(new Set(p.devices.map((d) => deviceProfile(p, d).firstIssuedAt))).toEqual(new Set([T('2029-11-01T00:00:00Z')]));
  });

  it('each outage series gets a phase in [0, every), and cohorts without outages get none', () => {
    for (const p of inCohort(0)) {
      expect(p.outagePhases).toHaveLength(2);
      const [weekly, monthly] = p.outagePhases as [number, number];
      expect(weekly).toBeGreaterThanOrEqual(0);
      expect(weekly).toBeLessThan(7 * DAY);
      expect(monthly).toBeGreaterThanOrEqual(0);
      expect(monthly).toBeLessThan(30 * DAY);
    }
    for (const p of inCohort(1)) expect(p.outagePhases).toEqual([]);
  });

  it('the same seed gives the same profiles', () => {
    const again = planFleet(scenario, { seed: 11 });
    expect(again.devices.map((d) => deviceProfile(again, d))).toEqual(profiles);
  });

  it('another seed gives other drifts and first issue times', () => {
    const other = planFleet(scenario, { seed: 12 });
    const otherProfiles = other.devices.map((d) => deviceProfile(other, d));
    expect(otherProfiles.map((p) => p.firstIssuedAt)).not.toEqual(profiles.map((p) => p.firstIssuedAt));
    expect(otherProfiles.filter((p) => p.cohortIndex === 0).map((p) => p.clock.driftPpm)).not.toEqual(inCohort(0).map((p) => p.clock.driftPpm));
  });

  it('a profile depends only on the seed and the device, so a shard can compute it alone', () => {
    const device = plan.devices[123];
    if (!device) throw new Error('no device 123');
    const small = planFleet(scenario, { seed: 11, devices: 200 });
    // A smaller fleet is another plan, but device-00123 in the same cohort draws the same profile.
    expect(deviceProfile(small, { ...device })).toEqual(profiles[123]);
  });

  it('a device with a cohort index the scenario does not have is refused', () => {
    expect(() => deviceProfile(plan, { index: 0, id: 'device-00000', cohort: 5, clientId: 'device-00000', credentialsOf: 'device-00000' })).toThrow(RangeError);
  });
});

describe('clockModel', () => {
  it('draws a drift from a range and maps "never" to no sync', () => {
    const cohort = scenario.fleet.cohorts[1];
    if (!cohort) throw new Error('no cohort');
    const never = { ...cohort.clock, driftPpm: { min: 1, max: 2 }, boot: { resetTo: 0, syncAfter: 'never' as const } };
    const m = clockModel(never, new SeededRandom(1, 'x'));
    expect(m.driftPpm).toBeGreaterThanOrEqual(1);
    expect(m.driftPpm).toBeLessThan(2);
    expect(m.boot).toEqual({ resetTo: 0, syncAfterMs: undefined });
  });

  it('draws nothing for a fixed drift: the same random gives the same next number afterwards', () => {
    const cohort = scenario.fleet.cohorts[1];
    if (!cohort) throw new Error('no cohort');
    const used = new SeededRandom(1, 'x');
    clockModel(cohort.clock, used);
    expect(used.next()).toBe(new SeededRandom(1, 'x').next());
  });
});
