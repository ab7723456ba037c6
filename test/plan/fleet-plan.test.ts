import { describe, expect, it } from 'vitest';
import { assignCohorts, planFleet, type Delivery, type FleetPlan } from '../../sim/plan/fleet-plan.js';
import { SeededRandom } from '../../sim/random/seeded-random.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { DAY } from '../support/time.js';

const T = (iso: string): number => Date.parse(iso);

/** Three cohorts and one event of every kind, listed out of time order. */
const PLAN_SCENARIO = `
name: plan-test
description: A fleet plan with every kind of event.
seed: 5
timeline:
  start: 2030-01-01T00:00:00Z
  end: 2030-06-01T00:00:00Z
pki:
  authorities:
    - name: root
      subject: { CN: Root }
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2040-01-01T00:00:00Z
    - name: root-g2
      subject: { CN: Root G2 }
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2049-01-01T00:00:00Z
    - name: ca
      subject: { CN: Issuing CA }
      issuer: root
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2035-01-01T00:00:00Z
    - name: ca-old
      subject: { CN: Old Issuing CA }
      issuer: root
      notBefore: 2020-01-01T00:00:00Z
      notAfter: 2035-01-01T00:00:00Z
  serverCertificates:
    - name: broker
      issuer: ca
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2031-01-01T00:00:00Z
    - name: broker-g2
      issuer: root-g2
      notBefore: 2029-01-01T00:00:00Z
      notAfter: 2031-01-01T00:00:00Z
  deviceCertificates:
    issuer: ca
    lifetime: 90d
broker:
  serverCertificate: broker
  deviceAuthorities: [root]
fleet:
  devices: 1000
  cohorts:
    - name: a
      share: 0.5
      trustStore: { anchors: [root] }
    - name: b
      share: 0.3
      trustStore: { anchors: [root] }
    - name: c
      share: 0.2
      trustStore: { anchors: [root] }
events:
  - type: server-certificate
    at: 2030-04-01T00:00:00Z
    use: broker-g2
  - type: trust-rollout
    at: 2030-01-10T00:00:00Z
    add: [root-g2]
    share: 90%
    over: 30d
    cohorts: [a, b]
  - type: revoke
    at: 2030-02-01T00:00:00Z
    devices: { share: 0.1, cohorts: [c] }
  - type: revoke
    at: 2030-01-20T00:00:00Z
    authority: ca-old
  - type: broker-device-authorities
    at: 2030-02-01T00:00:00Z
    add: [root-g2]
  - type: trust-rollout
    at: 2030-03-01T00:00:00Z
    remove: [root]
`;

const scenario: Scenario = parseScenario(PLAN_SCENARIO, 'test.yaml');
const plan: FleetPlan = planFleet(scenario, { seed: 5 });

/** A scenario whose cohorts have these shares (written as given), for cohort-size tests. */
function withShares(shares: readonly (number | string)[]): Scenario {
  const cohorts = shares.map((s, i) => `    - name: k${i}\n      share: ${s}\n      trustStore: { anchors: [root] }\n`).join('');
  const text = PLAN_SCENARIO.replace(/ {2}cohorts:\n[\s\S]*?\nevents:\n[\s\S]*$/, `  cohorts:\n${cohorts}`);
  return parseScenario(text, 'test.yaml');
}

const sizes = (labels: readonly number[], cohorts: number): number[] => {
  const out = new Array<number>(cohorts).fill(0);
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
};

const cohortOf = (p: FleetPlan): Map<string, number> => new Map(p.devices.map((d) => [d.id, d.cohort]));

describe('assignCohorts', () => {
  it.each([
    [[0.5, 0.3, 0.2], 1000, [500, 300, 200]],
    [[0.5, 0.3, 0.2], 7, [4, 2, 1]],
    [[0.6, 0.15, 0.15, 0.1], 1000, [600, 150, 150, 100]],
    [[0.6, 0.15, 0.15, 0.1], 7, [4, 1, 1, 1]],
    [['1/3', '1/3', '1/3'], 10, [4, 3, 3]],
    [['1/3', '1/3', '1/3'], 2, [1, 1, 0]],
    [[0.29, 0.71], 100, [29, 71]],
    [[0.5, 0.5], 1, [1, 0]],
    [[1, 0], 5, [5, 0]],
    [[0.5, 0.3, 0.2], 0, [0, 0, 0]],
  ] as [(number | string)[], number, number[]][])('shares %j of %d devices give cohorts of exactly %j', (shares, count, expected) => {
    const labels = assignCohorts(withShares(shares).fleet.cohorts, count, new SeededRandom(1, 'cohorts'));
    expect(labels).toHaveLength(count);
    expect(sizes(labels, shares.length)).toEqual(expected);
  });

  it.each([1, 2, 3, 10, 97, 1000, 4099])('cohort sizes for %d devices add up to the fleet size and differ from share * n by less than 1', (count) => {
    const shares = [0.37, 0.21, 0.2, 0.13, 0.09];
    const labels = assignCohorts(withShares(shares).fleet.cohorts, count, new SeededRandom(3, 'cohorts'));
    const got = sizes(labels, shares.length);
    expect(got.reduce((a, b) => a + b, 0)).toBe(count);
    got.forEach((size, i) => expect(Math.abs(size - (shares[i] ?? 0) * count)).toBeLessThan(1));
  });

  it('cohort sizes add up to the fleet size for any shares the scenario check accepts, even for millions of devices', () => {
    // 0.5000006 + 0.5000003 is within the 1e-6 tolerance of checkReferences, so the scenario loads.
    const cohorts = withShares([0.5000006, 0.5000003]).fleet.cohorts;
    expect(assignCohorts(cohorts, 2_000_000, new SeededRandom(1, 'cohorts'))).toHaveLength(2_000_000);
  });

  it('the shuffle interleaves cohorts instead of listing them in blocks', () => {
    const labels = assignCohorts(withShares([0.5, 0.5]).fleet.cohorts, 100, new SeededRandom(1, 'cohorts'));
    expect(labels.slice(0, 50)).toContain(1);
    expect(labels.slice(50)).toContain(0);
  });
});

describe('planFleet devices', () => {
  it('the fleet has the scenario device count unless the options override it', () => {
    expect(plan.devices).toHaveLength(1000);
    expect(planFleet(scenario, { seed: 5, devices: 37 }).devices).toHaveLength(37);
    expect(plan.seed).toBe(5);
    expect(plan.scenario).toBe(scenario);
  });

  it('cohort sizes in the plan are exact: 500, 300 and 200', () => {
    expect(sizes(plan.devices.map((d) => d.cohort), 3)).toEqual([500, 300, 200]);
  });

  it.each([
    [1, 'device-00000', 'device-00000'],
    [10, 'device-00000', 'device-00009'],
    [100_000, 'device-00000', 'device-99999'],
    [100_001, 'device-000000', 'device-100000'],
  ])('with %d devices the ids run from %s to %s, zero-padded to one width', (count, first, last) => {
    const devices = planFleet(scenario, { seed: 1, devices: count }).devices;
    expect(devices[0]?.id).toBe(first);
    expect(devices.at(-1)?.id).toBe(last);
    expect(new Set(devices.map((d) => d.id.length)).size).toBe(1);
  });

  it('device ids are unique and indices run 0..n-1 in order', () => {
    expect(new Set(plan.devices.map((d) => d.id)).size).toBe(plan.devices.length);
    expect(plan.devices.map((d) => d.index)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('the same seed gives the same plan', () => {
    expect(planFleet(scenario, { seed: 5 })).toEqual(plan);
  });

  it('another seed assigns devices to cohorts differently (same sizes) and delivers at other times', () => {
    const other = planFleet(scenario, { seed: 6 });
    expect(other.devices.map((d) => d.cohort)).not.toEqual(plan.devices.map((d) => d.cohort));
    expect(sizes(other.devices.map((d) => d.cohort), 3)).toEqual([500, 300, 200]);
    expect(other.deliveries).not.toEqual(plan.deliveries);
  });

  it('the plan depends on the seed option, not on the scenario seed', () => {
    const reseeded = parseScenario(PLAN_SCENARIO.replace('seed: 5', 'seed: 99'), 'test.yaml');
    expect(planFleet(reseeded, { seed: 5 }).devices).toEqual(plan.devices);
  });
});

describe('planFleet trust rollouts', () => {
  const trustBundles = plan.deliveries.filter((d): d is Extract<Delivery, { kind: 'trust-bundle' }> => d.kind === 'trust-bundle');
  const firstRollout = trustBundles.filter((d) => d.updateId === 'rollout-1');
  const secondRollout = trustBundles.filter((d) => d.updateId === 'rollout-5');
  const cohorts = cohortOf(plan);

  it('a 90% rollout to cohorts a and b reaches round(0.9 * 800) = 720 devices, each once, all in a or b', () => {
    expect(firstRollout).toHaveLength(720);
    expect(new Set(firstRollout.map((d) => d.deviceId)).size).toBe(720);
    for (const d of firstRollout) expect([0, 1]).toContain(cohorts.get(d.deviceId));
  });

  it('rollout deliveries take effect inside [at, at + over] and carry the event\'s additions and removals', () => {
    const at = T('2030-01-10T00:00:00Z');
    for (const d of firstRollout) {
      expect(d.effectiveAt).toBeGreaterThanOrEqual(at);
      expect(d.effectiveAt).toBeLessThanOrEqual(at + 30 * DAY);
      expect(Number.isInteger(d.effectiveAt)).toBe(true);
      expect(d.add).toEqual(['root-g2']);
      expect(d.remove).toEqual([]);
    }
    // Spread over the period, not bunched at its start.
    const times = firstRollout.map((d) => d.effectiveAt);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(25 * DAY);
  });

  it('a rollout with the default share and no period reaches every device at its time exactly', () => {
    expect(secondRollout).toHaveLength(1000);
    expect(new Set(secondRollout.map((d) => d.effectiveAt))).toEqual(new Set([T('2030-03-01T00:00:00Z')]));
    expect(secondRollout[0]?.remove).toEqual(['root']);
  });

  it('deliveries are sorted by effective time, then device id', () => {
    const sorted = [...plan.deliveries].sort((x, y) => x.effectiveAt - y.effectiveAt || x.deviceId.localeCompare(y.deviceId));
    expect(plan.deliveries).toEqual(sorted);
  });

  it.each([
    [0, 0],
    [0.25, 200],
    [1, 800],
  ])('a rollout share of %d reaches %d of the 800 targeted devices', (share, count) => {
    const s = parseScenario(PLAN_SCENARIO.replace('    share: 90%\n', `    share: ${share}\n`), 'test.yaml');
    expect(planFleet(s, { seed: 5 }).deliveries.filter((d) => d.updateId === 'rollout-1')).toHaveLength(count);
  });
});

describe('planFleet broker events and boundaries', () => {
  it('broker events are sorted by time, with rollouts left out', () => {
    expect(plan.brokerEvents.map((e) => [e.at, e.kind])).toEqual([
      [T('2030-01-20T00:00:00Z'), 'revoke-authority'],
      [T('2030-02-01T00:00:00Z'), 'revoke-devices'],
      [T('2030-02-01T00:00:00Z'), 'device-authorities'],
      [T('2030-04-01T00:00:00Z'), 'server-certificate'],
    ]);
    expect(plan.brokerEvents[0]).toEqual({ at: T('2030-01-20T00:00:00Z'), kind: 'revoke-authority', authority: 'ca-old' });
    expect(plan.brokerEvents[2]).toEqual({ at: T('2030-02-01T00:00:00Z'), kind: 'device-authorities', add: ['root-g2'], remove: [] });
    expect(plan.brokerEvents[3]).toEqual({ at: T('2030-04-01T00:00:00Z'), kind: 'server-certificate', use: 'broker-g2' });
  });

  it('revoke-devices picks round(0.1 * 200) = 20 distinct devices, all in cohort c, in fleet order', () => {
    const revoke = plan.brokerEvents.find((e) => e.kind === 'revoke-devices');
    const ids = revoke?.kind === 'revoke-devices' ? revoke.deviceIds : [];
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    const cohorts = cohortOf(plan);
    for (const id of ids) expect(cohorts.get(id)).toBe(2);
    expect([...ids].sort()).toEqual(ids);
  });

  it('revoke-devices without cohorts picks from the whole fleet', () => {
    const s = parseScenario(PLAN_SCENARIO.replace('devices: { share: 0.1, cohorts: [c] }', 'devices: { share: 3% }'), 'test.yaml');
    const revoke = planFleet(s, { seed: 5 }).brokerEvents.find((e) => e.kind === 'revoke-devices');
    expect(revoke?.kind === 'revoke-devices' ? revoke.deviceIds : []).toHaveLength(30);
  });

  it('boundaries hold every broker event time once, in order, and nothing else', () => {
    expect(plan.boundaries).toEqual([T('2030-01-20T00:00:00Z'), T('2030-02-01T00:00:00Z'), T('2030-04-01T00:00:00Z')]);
    for (const e of plan.brokerEvents) expect(plan.boundaries).toContain(e.at);
  });

  it('a scenario without events has no broker events, deliveries or boundaries', () => {
    const s = parseScenario(PLAN_SCENARIO.replace(/\nevents:\n[\s\S]*$/, '\n'), 'test.yaml');
    const p = planFleet(s, { seed: 5 });
    expect([p.brokerEvents, p.deliveries, p.boundaries]).toEqual([[], [], []]);
  });
});
