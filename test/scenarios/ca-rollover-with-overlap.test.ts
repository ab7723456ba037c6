import { beforeAll, describe, expect, it } from 'vitest';
import { connectsOf, firstFailures, loadShipped, runShipped, type TransitionRun } from './trust-transition-run.js';
import { DAY } from '../support/time.js';

const NAME = 'ca-rollover-with-overlap';
/** T: root G1 expires and the broker drops the cross-signature. */
const T = Date.parse('2027-07-01T00:00:00Z');
const OTA = T - 180 * DAY;
const CROSS = T - 90 * DAY;
const G1 = 'Example Fleet Server Root CA';
const G2 = 'Example Fleet Server Root CA G2';

describe('ca-rollover-with-overlap: the file', () => {
  it('is a valid scenario: OTA at T-180d, cross-signed chain at T-90d, short chain at T', () => {
    const { scenario } = loadShipped(NAME);
    expect(scenario.events.map((e) => [e.type, e.at])).toEqual([
      ['trust-rollout', OTA],
      ['server-certificate', CROSS],
      ['server-certificate', T],
    ]);
    expect(scenario.pki.authorities.find((a) => a.name === 'server-root-g1')?.notAfter).toBe(T);
    expect(scenario.fleet.cohorts.map((c) => [c.name, c.share, c.trustStore.updates])).toEqual([
      ['ota-in-time', 0.85, 'accept'],
      ['offline-during-ota', 0.1, 'accept'],
      ['never-update', 0.05, 'ignore'],
    ]);
  });
});

describe('ca-rollover-with-overlap: 40 devices from 2026-12-15 to 2027-08-15', () => {
  let run: TransitionRun;
  const size = (cohort: string) => run.summary.cohorts[cohort]?.devices ?? 0;

  beforeAll(async () => {
    run = await runShipped(NAME, 40);
  }, 120_000);

  it('runs the whole timeline with 34, 4 and 2 devices per cohort', () => {
    expect(run.summary.complete).toBe(true);
    expect(Object.values(run.summary.cohorts).map((c) => c.devices)).toEqual([34, 4, 2]);
  });

  it('delivers G2 to every device the campaign reached before the broker needs it; the frozen stores ignore it', () => {
    expect(run.summary.cohorts['ota-in-time']?.trustUpdates).toEqual({ applied: size('ota-in-time') });
    expect(run.summary.cohorts['offline-during-ota']?.trustUpdates).toEqual({});
    expect(run.summary.cohorts['never-update']?.trustUpdates).toEqual({ ignored_frozen: size('never-update') });
    const updates = run.events.filter((e) => e.type === 'device.trust-update' && e.result === 'applied');
    expect(updates.every((e) => e.t >= OTA && e.t < CROSS)).toBe(true);
  });

  it('never fails the devices that took the OTA: from the switch on they build the path to G2 from their store', () => {
    expect(run.summary.failures.byCohort['ota-in-time']).toEqual({});
    const after = connectsOf(run, 'ota-in-time').filter((e) => e.t >= CROSS);
    // Most of them reconnect after T (sessions drop every 14 days on average), and every such connect succeeds.
    expect(new Set(after.filter((e) => e.t >= T).map((e) => e.device)).size).toBeGreaterThan(size('ota-in-time') / 2);
    expect(after.every((e) => e.cause === 'ok' && e.path?.at(-1) === G2)).toBe(true);
  });

  it.each(['offline-during-ota', 'never-update'])(
    '%s: rescued by the cross-sign until T, then untrusted_root at each first reconnect after T, never recovering',
    (cohort) => {
      const connects = connectsOf(run, cohort);
      // Before T every connect succeeds; once the broker serves the cross-signed chain, through it to G1.
      expect(connects.filter((e) => e.t < T).every((e) => e.cause === 'ok' && e.path?.at(-1) === G1)).toBe(true);
      const rescued = connects.filter((e) => e.t >= CROSS && e.t < T);
      expect(new Set(rescued.map((e) => e.device)).size).toBe(size(cohort));
      expect(rescued.every((e) => e.path?.includes(G2))).toBe(true);
      expect(Object.keys(run.summary.failures.byCohort[cohort] ?? {})).toEqual(['device:untrusted_root']);
      const discovered = [...firstFailures(run, cohort).values()];
      expect(discovered).toHaveLength(size(cohort));
      // The switch at T drops no session: each device finds out at its next reconnect, within weeks.
      expect(discovered.every((t) => t > T && t <= T + 45 * DAY)).toBe(true);
      expect(connects.filter((e) => e.t >= T).every((e) => e.cause === 'untrusted_root')).toBe(true);
      expect(run.summary.availability.final?.cohorts[cohort]).toBe(0);
    },
  );

  it('ends with exactly the devices without G2 unable to connect', () => {
    expect(run.summary.unrecovered.devices).toBe(size('offline-during-ota') + size('never-update'));
    expect(run.summary.unrecovered.byCause).toEqual({ 'device:untrusted_root': size('offline-during-ota') + size('never-update') });
    expect(run.summary.availability.final?.cohorts['ota-in-time']).toBe(1);
  });
});
